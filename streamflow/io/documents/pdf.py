"""PDF -> Markdown, page by page, offline: headings, paragraphs, code, tables, page numbers.

The default engine is pdfplumber (pdfminer.six underneath; MIT), installed by the ``pdf`` extra.
Each page becomes Markdown: words are grouped into lines and lines into blocks; a block set in
a font larger than the document's body text (the most common size over its first pages) is a
heading, its level ranked by size; runs of monospaced lines are fenced code; ruled tables
(pdfplumber's table finder) are Markdown tables, and their words are not repeated as text.
``engine="pymupdf4llm"`` uses pymupdf4llm instead (better layouts; AGPL-3.0, hence its own
extra, ``pdf-agpl``).

Every page also yields MinerU-style *content list* items (``{"type": "text", "text", "text_level",
"page_idx"}``, ``{"type": "table", "table_body", ...}``, ``{"type": "image", ...}``), the layout the
PDF-to-VQA operators read when MinerU itself is absent.

**Problems are explicit.** :func:`read_pdf` raises :class:`PdfError` for a file that cannot be
opened (not a PDF, truncated beyond repair, encrypted without the right password) and yields a
:class:`PageProblem` for a page that cannot be read or that has no text layer although it holds
images (a scanned page): nothing is dropped in silence. A page with neither text nor images is
simply blank.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from streamflow.errors import StreamflowError
from streamflow.extras import require
from streamflow.io.documents.markdown import join_pages

__all__ = [
    "ConvertedPdf",
    "PageProblem",
    "PdfEngine",
    "PdfError",
    "PdfPage",
    "convert_pdf",
    "read_pdf",
]

PdfEngine = Literal["pdfplumber", "pymupdf4llm"]

_BODY_SAMPLE_PAGES = 5
_HEADING_RATIO = 1.15
_MONO = re.compile(r"courier|mono|consol|menlo|code", re.I)
_BOLD = re.compile(r"bold|black|heavy", re.I)
_MIN_TEXT_CHARS = 3
_BULLET = re.compile(r"^[•◦▪‣∙·●○■□–]\s*")


class PdfError(StreamflowError):
    """A PDF that cannot be read at all; ``where`` says how far reading got."""

    def __init__(self, path: str, where: str, reason: str) -> None:
        self.path, self.where, self.reason = path, where, reason
        super().__init__(f"{path}: {where}: {reason}")


@dataclass(slots=True)
class PdfPage:
    """One page: its number (1-based), Markdown, and MinerU-style content items."""

    number: int
    markdown: str
    items: list[dict[str, Any]] = field(default_factory=list)
    images: int = 0


@dataclass(slots=True)
class PageProblem:
    """A page that gave no text: unreadable, or an image without a text layer (scanned)."""

    number: int
    reason: str


@dataclass(slots=True)
class ConvertedPdf:
    """A whole document: Markdown with page markers, content items, and the pages that failed."""

    markdown: str
    pages: int
    items: list[dict[str, Any]]
    problems: list[PageProblem]
    title: str = ""


def read_pdf(
    path: str | Path, *, password: str = "", engine: PdfEngine = "pdfplumber"
) -> Iterator[PdfPage | PageProblem]:
    """The pages of ``path`` in order, as :class:`PdfPage` or :class:`PageProblem`.

    Raises :class:`PdfError` when the file cannot be opened at all.
    """
    if engine == "pymupdf4llm":
        yield from _read_pymupdf4llm(Path(path), password)
    elif engine == "pdfplumber":
        yield from _read_pdfplumber(Path(path), password)
    else:
        raise ValueError(f"unknown PDF engine {engine!r} (pdfplumber or pymupdf4llm)")


def convert_pdf(
    path: str | Path, *, password: str = "", engine: PdfEngine = "pdfplumber"
) -> ConvertedPdf:
    """The whole document as one Markdown text with a ``<!-- page N -->`` marker per page.

    Raises :class:`PdfError` when the file cannot be opened, or when no page has a text layer
    (a scanned document: the error names its pages).
    """
    pages: list[tuple[int, str]] = []
    items: list[dict[str, Any]] = []
    problems: list[PageProblem] = []
    count = 0
    for page in read_pdf(path, password=password, engine=engine):
        count += 1
        if isinstance(page, PageProblem):
            problems.append(page)
            continue
        pages.append((page.number, page.markdown))
        items.extend(page.items)
    if count and not any(text.strip() for _, text in pages):
        scanned = [p for p in problems if "no text layer" in p.reason]
        if scanned:
            raise PdfError(
                str(path),
                f"pages 1-{count}",
                "no text layer on any page (a scanned, image-only PDF needs OCR)",
            )
    title = next((i["text"] for i in items if i.get("text_level") == 1), "")
    return ConvertedPdf(join_pages(pages) if pages else "", count, items, problems, title)


# -- pdfplumber ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    top: float
    bottom: float
    x0: float
    size: float
    text: str
    mono: bool
    bold: bool


def _read_pdfplumber(path: Path, password: str) -> Iterator[PdfPage | PageProblem]:
    pdfplumber = require("pdfplumber", "pdf", for_="reading PDF files")
    try:
        pdf = pdfplumber.open(path, password=password)
    except Exception as exc:  # pdfminer raises many types for a file it cannot open
        raise PdfError(str(path), "file", _open_reason(exc)) from exc
    with pdf:
        try:
            pages = pdf.pages
        except Exception as exc:
            raise PdfError(str(path), "page tree", _open_reason(exc)) from exc
        body, levels = _font_sizes(pages[:_BODY_SAMPLE_PAGES])
        for index, page in enumerate(pages):
            number = index + 1
            try:
                yield _page(page, number, body, levels)
            except Exception as exc:
                yield PageProblem(number, f"unreadable page: {_one_line(exc)}")
            finally:
                page.flush_cache()


def _font_sizes(sample: list[Any]) -> tuple[float, dict[float, int]]:
    """The body text size (most common over the sample, by characters) and heading levels."""
    sizes: Counter[float] = Counter()
    for page in sample:
        try:
            for char in page.chars:
                if char.get("text", "").strip():
                    sizes[round(float(char.get("size", 0)), 1)] += 1
        except Exception:
            continue  # an unreadable page is reported when it is read
    if not sizes:
        return 0.0, {}
    body = sizes.most_common(1)[0][0]
    larger = sorted((s for s in sizes if s >= body * _HEADING_RATIO), reverse=True)
    return body, {size: min(i + 1, 4) for i, size in enumerate(larger)}


def _page(page: Any, number: int, body: float, levels: dict[float, int]) -> PdfPage | PageProblem:
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    words = [
        w
        for w in page.extract_words(extra_attrs=["size", "fontname"], x_tolerance=1.5)
        if not any(_inside(w, box) for box in boxes)
    ]
    images = len(page.images)
    table_rows = [t.extract() for t in tables]
    if not words and not any(any(c for c in row if c) for rows in table_rows for row in rows):
        if images:
            return PageProblem(number, "no text layer: the page is an image (scanned?)")
        return PdfPage(number, "", [], images)
    blocks: list[tuple[float, str, dict[str, Any]]] = []
    for lines in _blocks(_lines(words)):
        blocks.append(_block(lines, number, body, levels))
    for table, rows in zip(tables, table_rows, strict=True):
        markdown = _table_markdown(rows)
        if markdown:
            item = {"type": "table", "table_body": markdown, "page_idx": number - 1}
            blocks.append((float(table.bbox[1]), markdown, item))
    blocks.sort(key=lambda b: b[0])
    text = sum(len(b[1]) for b in blocks)
    if text < _MIN_TEXT_CHARS and images:
        return PageProblem(number, "no text layer: the page is an image (scanned?)")
    items = [b[2] for b in blocks]
    items += [{"type": "image", "img_path": "", "page_idx": number - 1} for _ in range(images)]
    return PdfPage(number, "\n\n".join(b[1] for b in blocks), items, images)


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    mid_x = (word["x0"] + word["x1"]) / 2
    mid_y = (word["top"] + word["bottom"]) / 2
    return bool(x0 <= mid_x <= x1 and top <= mid_y <= bottom)


def _lines(words: list[dict[str, Any]]) -> list[_Line]:
    """Words on one baseline (vertical overlap) form a line, read left to right."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["bottom"]), w["x0"])):
        if rows:
            last = rows[-1]
            height = max(1.0, min(last[0]["bottom"] - last[0]["top"], word["bottom"] - word["top"]))
            if abs(word["bottom"] - last[0]["bottom"]) <= height * 0.5:
                last.append(word)
                continue
        rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: w["x0"])
        sizes = Counter(round(float(w["size"]), 1) for w in row)
        fonts = [str(w.get("fontname", "")) for w in row]
        lines.append(
            _Line(
                top=min(w["top"] for w in row),
                bottom=max(w["bottom"] for w in row),
                x0=row[0]["x0"],
                size=sizes.most_common(1)[0][0],
                text=" ".join(w["text"] for w in row),
                mono=all(_MONO.search(f) for f in fonts),
                bold=all(_BOLD.search(f) for f in fonts),
            )
        )
    lines.sort(key=lambda line: line.top)
    return lines


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Consecutive lines of one style, without a gap wider than a line, form a block."""
    blocks: list[list[_Line]] = []
    for line in lines:
        if blocks:
            prev = blocks[-1][-1]
            gap = line.top - prev.bottom
            same = prev.size == line.size and prev.mono == line.mono and prev.bold == line.bold
            if same and gap <= max(prev.bottom - prev.top, 1.0) * 0.9:
                blocks[-1].append(line)
                continue
        blocks.append([line])
    return blocks


def _block(
    lines: list[_Line], number: int, body: float, levels: dict[float, int]
) -> tuple[float, str, dict[str, Any]]:
    first = lines[0]
    page_idx = number - 1
    if first.mono:
        indent = min(line.x0 for line in lines)
        width = max(first.size * 0.6, 1.0)
        code = "\n".join(" " * int((line.x0 - indent) / width) + line.text for line in lines)
        return first.top, f"```\n{code}\n```", {"type": "text", "text": code, "page_idx": page_idx}
    if any(_BULLET.match(line.text) for line in lines):
        texts = [line.text for line in lines]
        lead = next(i for i, t in enumerate(texts) if _BULLET.match(t))
        items = _bullets(texts[lead:])
        text = "\n".join(f"- {item}" for item in items)
        if lead:
            text = f"{_join_lines(texts[:lead])}\n\n{text}"
        return first.top, text, {"type": "text", "text": text, "page_idx": page_idx}
    text = _join_lines([line.text for line in lines])
    level = levels.get(first.size)
    short = len(text) <= 200 and len(lines) <= 3
    if level is None and first.bold and short and body and first.size >= body:
        level = 4 if len(levels) < 4 else 5  # a bold run-in title at body size
    if level is not None and short:
        item = {"type": "text", "text": text, "text_level": level, "page_idx": page_idx}
        return first.top, f"{'#' * level} {text}", item
    return first.top, text, {"type": "text", "text": text, "page_idx": page_idx}


def _bullets(texts: list[str]) -> list[str]:
    """A block of bullet lines as list items; a line without a bullet continues the item."""
    items: list[list[str]] = []
    for text in texts:
        match = _BULLET.match(text)
        if match:
            items.append([text[match.end() :]])
        else:
            items[-1].append(text)
    return [_join_lines(item) for item in items]


def _join_lines(texts: list[str]) -> str:
    """Lines of a paragraph joined by spaces; a word hyphenated across lines is rejoined."""
    out = ""
    for text in texts:
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and text[:1].islower():
            out = out[:-1] + text
        else:
            out = f"{out} {text}" if out else text
    return out


def _table_markdown(rows: list[list[str | None]]) -> str:
    cells = [[" ".join((c or "").split()).replace("|", "\\|") for c in row] for row in rows if row]
    cells = [row for row in cells if any(row)]
    if not cells:
        return ""
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def _open_reason(exc: BaseException) -> str:
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    text = " ".join(str(a) for a in exc.args)
    if "PDFPasswordIncorrect" in names or "password" in text.lower():
        return "encrypted: it needs a password (pass password=...)"
    if "PDFEncryptionError" in names or "encrypt" in text.lower():
        return f"encrypted with an unsupported scheme: {_one_line(exc)}"
    return f"not a readable PDF: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"[:300]


# -- pymupdf4llm (optional, AGPL) ------------------------------------------------------------


def _read_pymupdf4llm(path: Path, password: str) -> Iterator[PdfPage | PageProblem]:
    pymupdf = require("pymupdf", "pdf-agpl", for_="the pymupdf4llm PDF engine")
    to_markdown = require("pymupdf4llm", "pdf-agpl", for_="the pymupdf4llm PDF engine")
    try:
        doc = pymupdf.open(path)
    except Exception as exc:
        raise PdfError(str(path), "file", _open_reason(exc)) from exc
    with doc:
        if doc.needs_pass and not doc.authenticate(password):
            raise PdfError(str(path), "file", "encrypted: it needs a password (pass password=...)")
        for index in range(doc.page_count):
            number = index + 1
            try:
                page = doc[index]
                chunks = to_markdown.to_markdown(doc, pages=[index], show_progress=False)
                images = len(page.get_images())
                layer = page.get_text().strip()  # the text layer itself, not placeholders
            except Exception as exc:
                yield PageProblem(number, f"unreadable page: {_one_line(exc)}")
                continue
            text = chunks if isinstance(chunks, str) else ""
            if len(layer) < _MIN_TEXT_CHARS and images:
                yield PageProblem(number, "no text layer: the page is an image (scanned?)")
                continue
            items = [
                {"type": "text", "text": block, "page_idx": index}
                for block in re.split(r"\n\s*\n", text)
                if block.strip()
            ]
            yield PdfPage(number, text.strip(), items, images)
