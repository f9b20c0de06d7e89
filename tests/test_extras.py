"""Optional dependencies: a missing one fails the operator's construction, naming the extra;
listing the operator still works."""

from __future__ import annotations

import sys

import pytest

from streamflow import Generator, StreamflowError
from streamflow.extras import MissingDependency, require
from streamflow.operators.registry import OperatorInfo


class PdfReader(Generator):
    """Reads PDF files (an operator with an optional dependency)."""

    def __init__(self, pages: int = 1) -> None:
        self._pdf = require("fake_pdf_lib", "pdf", for_=self.name)
        self.pages = pages

    def process(self, rows, input_key):
        return rows


def test_require_returns_the_module():
    assert require("json", "none") is sys.modules["json"]


def test_a_missing_module_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fake_pdf_lib", None)  # import machinery: "not installed"
    with pytest.raises(MissingDependency) as caught:
        require("fake_pdf_lib", "pdf", for_="PdfReader")
    error = caught.value
    assert isinstance(error, StreamflowError) and isinstance(error, ImportError)
    assert (error.module, error.extra, error.name) == ("fake_pdf_lib", "pdf", "fake_pdf_lib")
    assert str(error).startswith("PdfReader needs the optional dependency 'fake_pdf_lib'")
    assert str(error).endswith("pip install 'streamflow-data[pdf]'")


def test_a_module_whose_own_import_fails_is_reported_with_the_cause(tmp_path, monkeypatch):
    (tmp_path / "broken_dep.py").write_text("import no_such_module_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        MissingDependency, match=r"no_such_module_anywhere.*streamflow-data\[models\]"
    ):
        require("broken_dep", "models")


def test_the_operator_fails_at_construction_and_is_still_listed(monkeypatch):
    monkeypatch.setitem(sys.modules, "fake_pdf_lib", None)
    info = OperatorInfo.of(PdfReader, "pdf2vqa")  # listing never constructs
    assert info.summary.startswith("Reads PDF files") and info.parameters[0].name == "pages"
    with pytest.raises(MissingDependency, match=r"pip install 'streamflow-data\[pdf\]'"):
        PdfReader()


def test_the_operator_works_once_the_dependency_is_there(monkeypatch):
    fake = type(sys)("fake_pdf_lib")
    monkeypatch.setitem(sys.modules, "fake_pdf_lib", fake)
    assert PdfReader(pages=3)._pdf is fake
