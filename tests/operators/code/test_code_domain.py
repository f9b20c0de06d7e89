"""The code domain: DataFlow's 19 code operators by name, each lazily importable and light."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from helpers import REPO, SHARED

import streamflow.operators.code as code
from streamflow.actors.base import Operator
from streamflow.operators._lazy import declared_domain
from streamflow.prompts.base import PromptTemplate

DOMAIN = declared_domain(code.__name__)
assert DOMAIN is not None


def test_every_dataflow_code_operator_is_here() -> None:
    tsv = SHARED / "dataflow-operators.tsv"
    if not tsv.is_file():
        pytest.skip(f"{tsv} is absent")
    with tsv.open() as f:
        names = {
            row["name"] for row in csv.DictReader(f, delimiter="\t") if row["domain"] == "code"
        }
    assert len(names) == 19
    assert names == set(DOMAIN.operators)


def test_names_resolve_to_documented_operators_and_templates() -> None:
    for name in DOMAIN.operators:
        op = getattr(code, name)
        assert issubclass(op, Operator) and op.__name__ == name and op.__doc__
    for name in DOMAIN.prompts:
        assert issubclass(getattr(code, name), PromptTemplate)


def test_operator_modules_import_nothing_heavy() -> None:
    modules = sorted(set(DOMAIN.operators.values()))
    script = (
        "import sys\n"
        + "".join(f"import streamflow.operators.code.{m}\n" for m in modules)
        + "print(sorted(m for m in ('torch', 'vllm', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
