"""The three FileOrURLToMarkdownConverter operators on local files, and their failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from streamflow.operators.knowledge_cleaning.converters import (
    FileOrURLToMarkdownConverterAPI,
    FileOrURLToMarkdownConverterFlash,
    FileOrURLToMarkdownConverterLocal,
)
from streamflow.testing import apply

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "io" / "documents"))
import pdf_samples


@pytest.mark.parametrize(
    "cls", [FileOrURLToMarkdownConverterLocal, FileOrURLToMarkdownConverterFlash]
)
def test_offline_conversion_of_a_pdf_and_failures(tmp_path: Path, cls: type) -> None:
    good = pdf_samples.text_pdf(tmp_path / "light.pdf")
    locked = pdf_samples.text_pdf(tmp_path / "locked.pdf", encrypt="pw")
    scanned = pdf_samples.scanned_pdf(tmp_path / "scan.pdf")
    kwargs = {"engine": "builtin"} if cls is FileOrURLToMarkdownConverterLocal else {}
    op = cls(intermediate_dir=str(tmp_path / "md"), **kwargs)
    rows = [
        {"source": str(good)},
        {"source": str(locked)},
        {"source": str(scanned)},
        {"source": ""},
    ]
    out = apply(op, rows, output_problems_key="problems")
    (row,) = out.batch.rows
    assert Path(row["text_path"]).read_text().startswith("<!-- page 1 -->\n# Lighthouses")
    assert row["problems"] == []
    reasons = [reason for _, _, reason in out.failed]
    assert str(locked) in reasons[0] and "encrypted" in reasons[0]
    assert str(scanned) in reasons[1] and "no text layer" in reasons[1]
    assert "no file path or URL" in reasons[2]


def test_api_converter_needs_a_key_or_its_own_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINERU_API_KEY", raising=False)
    with pytest.raises(ValueError, match="MINERU_API_KEY"):
        FileOrURLToMarkdownConverterAPI()
    op = FileOrURLToMarkdownConverterAPI(api_key="secret-key", api_url="http://127.0.0.1:9/api")
    assert "secret-key" not in repr(op) and "api_key" not in op.config
