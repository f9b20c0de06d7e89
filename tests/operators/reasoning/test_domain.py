"""The reasoning domain: DataFlow's 19 operators by name, each lazily importable."""

from __future__ import annotations

import csv
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

import streamflow.operators.reasoning as reasoning
from streamflow.actors.base import Operator
from streamflow.operators._lazy import declared_domain
from streamflow.prompts.base import PromptTemplate

DOMAIN = declared_domain(reasoning.__name__)
assert DOMAIN is not None
OPERATORS, PROMPTS = DOMAIN.operators, DOMAIN.prompts

TSV = Path(__file__).resolve().parents[4] / "shared" / "dataflow-operators.tsv"


def test_every_dataflow_reasoning_operator_is_here() -> None:
    if not TSV.is_file():
        pytest.skip(f"{TSV} is absent")
    with TSV.open() as f:
        names = {
            row["name"] for row in csv.DictReader(f, delimiter="\t") if row["domain"] == "reasoning"
        }
    assert len(names) == 19
    assert names == set(OPERATORS)


def test_names_resolve_to_operators_and_templates() -> None:
    for name in OPERATORS:
        op = getattr(reasoning, name)
        assert issubclass(op, Operator) and op.__name__ == name
        assert op.__doc__
    for name in PROMPTS:
        assert issubclass(getattr(reasoning, name), PromptTemplate)
    with pytest.raises(AttributeError):
        reasoning.NoSuchOperator  # noqa: B018


def test_importing_the_domain_imports_no_operator_module() -> None:
    code = (
        "import sys, streamflow.operators.reasoning as r; "
        "print(sorted(m for m in sys.modules if m.startswith('streamflow.operators.reasoning.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
    loaded = subprocess.run(
        [sys.executable, "-c", "import streamflow.operators.reasoning.ground_truth_filter, sys; "
         "print('math_verify' in sys.modules, 'sympy' in sys.modules)"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    assert loaded.stdout.split() == ["False", "False"]  # math-verify loads in its workers only


def test_modules_import_cleanly() -> None:
    for module in set(OPERATORS.values()) | {
        "prompts",
        "answers",
        "verify",
        "categories",
    }:
        importlib.import_module(f"streamflow.operators.reasoning.{module}")
