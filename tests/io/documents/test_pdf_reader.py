"""PDF -> Markdown: structure, page markers, and every kind of unreadable PDF named."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_fixtures import *  # noqa: F403 (the fixtures: PDFs of each kind, a loopback site)

from streamflow.io.documents.markdown import split_pages
from streamflow.io.documents.pdf import PageProblem, PdfError, PdfPage, convert_pdf, read_pdf


def test_pages_have_headings_paragraphs_and_a_table(text_pdf: Path) -> None:
    pages = list(read_pdf(text_pdf))
    assert [p.number for p in pages] == [1, 2, 3]
    assert all(isinstance(p, PdfPage) for p in pages)
    first = pages[0]
    assert isinstance(first, PdfPage)
    assert first.markdown.startswith("# Lighthouses of the North\n\n")
    assert "built in 1851 by the engineer Tobias Wren" in first.markdown
    last = pages[2]
    assert isinstance(last, PdfPage)
    assert "| Station | Range |\n| --- | --- |\n| Aldermoor | 18 nm |" in last.markdown
    assert last.markdown.count("Aldermoor | 18 nm") == 1  # table words not repeated as text
    levels = [i for i in first.items if i.get("text_level") == 1]
    assert levels == [
        {"type": "text", "text": "Lighthouses of the North", "text_level": 1, "page_idx": 0}
    ]
    assert any(i["type"] == "table" and i["page_idx"] == 2 for i in last.items)


def test_document_markdown_keeps_page_numbers(text_pdf: Path) -> None:
    converted = convert_pdf(text_pdf)
    assert converted.pages == 3 and not converted.problems
    assert converted.title == "Lighthouses of the North"
    text, pages = split_pages(converted.markdown)
    assert "<!-- page" not in text
    assert pages.numbers == (1, 2, 3)
    assert pages.page_at(text.index("Margit Holm")) == 2
    assert pages.page_at(text.index("Skerry")) == 3


def test_encrypted_pdf_needs_its_password(encrypted_pdf: Path) -> None:
    with pytest.raises(PdfError) as err:
        list(read_pdf(encrypted_pdf))
    assert err.value.path == str(encrypted_pdf)
    assert "encrypted" in err.value.reason and "password" in err.value.reason
    assert len(list(read_pdf(encrypted_pdf, password="secret"))) == 3


def test_corrupted_pdf_is_an_error_naming_the_file(corrupted_pdf: Path) -> None:
    with pytest.raises(PdfError) as err:
        list(read_pdf(corrupted_pdf))
    assert str(corrupted_pdf) in str(err.value)
    assert "not a readable PDF" in err.value.reason


def test_a_scrambled_page_is_named_and_the_others_are_read(bad_page_pdf: Path) -> None:
    pages = list(read_pdf(bad_page_pdf))
    assert isinstance(pages[1], PageProblem) and pages[1].number == 2
    assert "unreadable page" in pages[1].reason
    assert [p.number for p in pages if isinstance(p, PdfPage)] == [1, 3]


def test_scanned_pdf_has_no_text_layer(scanned_pdf: Path) -> None:
    pages = list(read_pdf(scanned_pdf))
    assert [
        (p.number, "no text layer" in p.reason) for p in pages if isinstance(p, PageProblem)
    ] == [
        (1, True),
        (2, True),
    ]
    with pytest.raises(PdfError) as err:
        convert_pdf(scanned_pdf)
    assert err.value.where == "pages 1-2" and "scanned" in err.value.reason


def test_real_pdfs_convert_every_page(shared_data: Path) -> None:
    for pdf in sorted((shared_data / "pdf").glob("*.pdf")):
        converted = convert_pdf(pdf)
        text, pages = split_pages(converted.markdown)
        assert not converted.problems, (pdf.name, converted.problems)
        assert pages.numbers == tuple(range(1, converted.pages + 1)), pdf.name
        assert converted.title and text.count("\n# ") + text.startswith("# ") >= 1, pdf.name


def test_the_optional_pymupdf4llm_engine(
    text_pdf: Path, encrypted_pdf: Path, scanned_pdf: Path
) -> None:
    pytest.importorskip("pymupdf4llm", reason="the AGPL pdf-agpl extra is not installed")
    pages = list(read_pdf(text_pdf, engine="pymupdf4llm"))
    assert [p.number for p in pages if isinstance(p, PdfPage)] == [1, 2, 3]
    assert "Margit Holm" in pages[1].markdown  # type: ignore[union-attr]
    with pytest.raises(PdfError, match="encrypted"):
        list(read_pdf(encrypted_pdf, engine="pymupdf4llm"))
    assert len(list(read_pdf(encrypted_pdf, password="secret", engine="pymupdf4llm"))) == 3
    scanned = list(read_pdf(scanned_pdf, engine="pymupdf4llm"))
    assert all(isinstance(p, PageProblem) and "no text layer" in p.reason for p in scanned)
