"""CodeFileTypeContentFilter: The Stack v2's per-file-type rules."""

from __future__ import annotations

import pytest

from streamflow.operators.code.file_type_content_filter import CodeFileTypeContentFilter
from streamflow.testing import apply


def row(filetype: str, filename: str, line_count: int = 10, **extra: int) -> dict:
    return {"filetype": filetype, "filename": filename, "line_count": line_count, **extra}


def test_rules_per_file_type() -> None:
    rows = [
        row("Python", "big.py", 5000),  # code: no size rule
        row("JSON", "data.json", 600),
        row("YAML", "ci.yml", 40),
        row("HTML", "page.html", visible_text_length=500, total_code_length=1000),
        row("HTML", "app.html", visible_text_length=50, total_code_length=1000),
        row("Text", "README.txt"),
        row("Text", "requirements-dev.txt"),
        row("Text", "dump.txt"),
    ]
    out = apply(CodeFileTypeContentFilter(), rows, input_key="dataframe", output_key="ok")
    assert [r["filename"] for r in out.batch.rows] == [
        "big.py",
        "ci.yml",
        "page.html",
        "README.txt",
        "requirements-dev.txt",
    ]
    assert all(r["ok"] == 1 for r in out.batch.rows)
    reasons = [d.reason for d in out.dropped]
    assert reasons[0] == "json file of 600 lines > 512"
    assert reasons[1].startswith("html with 50 characters of visible text (5% of the file)")
    assert reasons[2].startswith("text file 'dump.txt'")


def test_missing_fields_are_named() -> None:
    with pytest.raises(KeyError, match="row has no field 'line_count'"):
        apply(CodeFileTypeContentFilter(), [{"filetype": "JSON", "filename": "a.json"}])
    with pytest.raises(TypeError, match="'line_count' must be a number"):
        apply(CodeFileTypeContentFilter(), [row("JSON", "a.json", "many")])  # type: ignore[arg-type]


def test_the_file_type_field_can_have_another_name() -> None:
    rows = [{"kind": "Text", "filename": "dump.txt", "line_count": 3}]
    out = apply(CodeFileTypeContentFilter(), rows, input_filetype_key="kind")
    assert out.dropped[0].reason.startswith("text file 'dump.txt'")
