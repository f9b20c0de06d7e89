"""PDF files as source rows: one row per document, or one per page.

A document row is ``{path, text, pages, title}``: ``text`` is Markdown with a
``<!-- page N -->`` marker opening each page (see :mod:`~streamflow.io.documents.markdown`), so
later steps (the chunker) know where each page is. A page row is ``{path, text, page, pages}``.

**Ids.** A document row's id is ``fingerprint:0``; page ``N``'s row (or its problem) is
``fingerprint:N``, so ids are stable across runs and ordered within a file.

**Problems become dead letters, naming the file and the page.** A file that cannot be opened
(corrupt, encrypted) is one bad record for the file; a page that cannot be read, or an image
page without a text layer (scanned), is a bad record for that page, and the document's other
pages are still read. A document whose pages all lack a text layer is one bad record saying so.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Literal

from streamflow.io.documents.markdown import join_pages
from streamflow.io.documents.pdf import PageProblem, PdfEngine, PdfError, read_pdf
from streamflow.io.records import BadRecord, Record

__all__ = ["PdfRows", "pdf_records"]

PdfRows = Literal["document", "page"]


def pdf_records(
    path: Path,
    fp: str,
    *,
    rows: PdfRows = "document",
    text_field: str = "text",
    path_field: str = "path",
    password: str = "",
    engine: PdfEngine = "pdfplumber",
) -> Generator[Record]:
    """The rows of one PDF file, as ``(id, row)`` or :class:`BadRecord`."""
    if rows not in ("document", "page"):
        raise ValueError(f"pdf rows must be 'document' or 'page', not {rows!r}")
    pages: list[tuple[int, str]] = []
    problems: list[PageProblem] = []
    title = ""
    count = 0
    try:
        for page in read_pdf(path, password=password, engine=engine):
            count += 1
            if isinstance(page, PageProblem):
                problems.append(page)
                if rows == "page":
                    yield _bad(path, fp, page)
                continue
            if not title:
                title = next((i["text"] for i in page.items if i.get("text_level") == 1), "")
            if rows == "page":
                row = {path_field: str(path), text_field: page.markdown, "page": page.number}
                yield f"{fp}:{page.number}", row
            else:
                pages.append((page.number, page.markdown))
    except PdfError as err:
        where = err.where if not count else f"after page {count}"
        yield BadRecord(f"{fp}:0", str(path), where, err.reason, "")
        return
    if rows == "page":
        return
    if not any(text.strip() for _, text in pages) and problems:
        reason = f"no text layer on any of its {count} pages (a scanned PDF needs OCR)"
        if any("no text layer" not in p.reason for p in problems):
            reason = "no page could be read: " + "; ".join(
                f"page {p.number}: {p.reason}" for p in problems[:3]
            )
        yield BadRecord(f"{fp}:0", str(path), f"pages 1-{count}", reason, "")
        return
    document = {
        path_field: str(path),
        text_field: join_pages(pages) if pages else "",
        "pages": count,
        "title": title,
    }
    yield f"{fp}:0", document
    for problem in problems:
        yield _bad(path, fp, problem)


def _bad(path: Path, fp: str, problem: PageProblem) -> BadRecord:
    return BadRecord(
        f"{fp}:{problem.number}", str(path), f"page {problem.number}", problem.reason, ""
    )
