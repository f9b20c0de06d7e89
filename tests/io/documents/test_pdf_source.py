"""PDF files as source rows, and their problems as bad records naming file and page."""

from __future__ import annotations

from pathlib import Path

from doc_fixtures import *  # noqa: F403 (the fixtures: PDFs of each kind, a loopback site)

from streamflow.io.documents.markdown import split_pages
from streamflow.io.documents.source import pdf_records
from streamflow.io.records import BadRecord


def test_one_row_per_document_with_page_markers(text_pdf: Path) -> None:
    (record,) = list(pdf_records(text_pdf, "fp"))
    assert not isinstance(record, BadRecord)
    row_id, row = record
    assert row_id == "fp:0"
    assert row["path"] == str(text_pdf) and row["pages"] == 3
    assert row["title"] == "Lighthouses of the North"
    assert split_pages(row["text"])[1].numbers == (1, 2, 3)


def test_one_row_per_page(text_pdf: Path) -> None:
    records = list(pdf_records(text_pdf, "fp", rows="page", text_field="markdown"))
    assert [r[0] for r in records if not isinstance(r, BadRecord)] == ["fp:1", "fp:2", "fp:3"]
    rows = [r[1] for r in records if not isinstance(r, BadRecord)]
    assert [r["page"] for r in rows] == [1, 2, 3]
    assert rows[1]["markdown"].startswith("# Keepers and Their Duties")


def test_problems_are_bad_records_naming_file_and_page(
    bad_page_pdf: Path, encrypted_pdf: Path, scanned_pdf: Path, corrupted_pdf: Path
) -> None:
    doc, bad = list(pdf_records(bad_page_pdf, "b"))
    assert not isinstance(doc, BadRecord) and "page 2" not in doc[1]["text"].split("-->")[0]
    assert isinstance(bad, BadRecord)
    assert (bad.id, bad.path, bad.where) == ("b:2", str(bad_page_pdf), "page 2")

    for path, words in (
        (encrypted_pdf, "encrypted"),
        (corrupted_pdf, "not a readable PDF"),
        (scanned_pdf, "no text layer"),
    ):
        (record,) = list(pdf_records(path, "x"))
        assert isinstance(record, BadRecord), path
        assert record.path == str(path) and words in record.reason
    (scanned,) = list(pdf_records(scanned_pdf, "x"))
    assert isinstance(scanned, BadRecord) and scanned.where == "pages 1-2"
    per_page = list(pdf_records(scanned_pdf, "x", rows="page"))
    assert [(r.id, r.where) for r in per_page if isinstance(r, BadRecord)] == [
        ("x:1", "page 1"),
        ("x:2", "page 2"),
    ]


def test_password_opens_an_encrypted_pdf(encrypted_pdf: Path) -> None:
    (record,) = list(pdf_records(encrypted_pdf, "x", password="secret"))
    assert not isinstance(record, BadRecord) and record[1]["pages"] == 3


def test_file_storage_reads_pdfs_with_dead_letters(tmp_path: Path, text_pdf: Path, chain) -> None:
    """A folder of PDFs through a pipeline: rows per page, the scanned one a dead letter."""
    import pdf_samples

    from streamflow import Generator

    folder = tmp_path / "docs"
    folder.mkdir()
    text_pdf.rename(folder / "a.pdf")
    pdf_samples.scanned_pdf(folder / "b.pdf", pages=1)
    pdf_samples.corrupted_pdf(folder / "c.pdf")
    pdf_samples.text_pdf(folder / "d.pdf", encrypt="secret")
    (folder / "c.good.pdf").unlink()  # the helper's intermediate good copy

    class Length(Generator):
        def process(self, rows, input_key, output_key):
            return [{**r, output_key: len(r[input_key])} for r in rows]

    pipeline = chain(
        [(Length(), {"input_key": "text", "output_key": "n"})],
        entry_file=str(folder),
        output_file=str(tmp_path / "out.jsonl"),
        run_dir=str(tmp_path / "run"),
        on_bad_record="skip",
        pdf_rows="page",
    )
    result = pipeline.run()
    import msgspec

    lines = (tmp_path / "out.jsonl").read_bytes().splitlines()
    rows = [msgspec.json.decode(line) for line in lines]
    assert [(Path(r["path"]).name, r["page"], r["n"] > 0) for r in rows] == [
        ("a.pdf", 1, True),
        ("a.pdf", 2, True),
        ("a.pdf", 3, True),
    ]
    letters = sorted(result.dead_letters.records(), key=lambda d: d.error)
    assert [d.operator for d in letters] == ["source"] * 3
    scanned, corrupted, encrypted = letters
    assert str(folder / "b.pdf") in scanned.error and "page 1" in scanned.error
    assert "no text layer" in scanned.error
    assert str(folder / "c.pdf") in corrupted.error and "not a readable PDF" in corrupted.error
    assert str(folder / "d.pdf") in encrypted.error and "encrypted" in encrypted.error
