"""PDFs the tests write themselves (reportlab): text with headings and a table, encrypted,
scanned (an image and no text layer), corrupted."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

PAGES = [
    (
        "Lighthouses of the North",
        [
            "The Aldermoor lighthouse was built in 1851 by the engineer Tobias Wren.",
            "Its lamp burned whale oil until 1902, when it was converted to kerosene.",
        ],
    ),
    (
        "Keepers and Their Duties",
        [
            "Keepers trimmed the wicks every four hours during the night watch.",
            "The head keeper Margit Holm served at Aldermoor for thirty-one years.",
        ],
    ),
    (
        "Signals",
        [
            "Aldermoor flashes white twice every ten seconds.",
            "In fog the station sounds a horn once every thirty seconds.",
        ],
    ),
]


def text_pdf(path: Path, *, encrypt: str | None = None, table: bool = True) -> Path:
    """Three pages, each with a heading and two paragraphs; page 3 has a ruled table."""
    styles = getSampleStyleSheet()
    story: list = []
    for i, (heading, paragraphs) in enumerate(PAGES):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(heading, styles["Heading1"]))
        story += [Paragraph(p, styles["BodyText"]) for p in paragraphs]
        if table and i == 2:
            grid = Table([["Station", "Range"], ["Aldermoor", "18 nm"], ["Skerry", "12 nm"]])
            grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
            story.append(grid)
    kwargs = {}
    if encrypt is not None:
        kwargs["encrypt"] = StandardEncryption(encrypt, ownerPassword="owner", strength=128)
    SimpleDocTemplate(str(path), pagesize=A4, **kwargs).build(story)
    return path


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Pages that are pictures of text: no text layer at all."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for n in range(pages):
        image = Image.new("RGB", (600, 300), "white")
        ImageDraw.Draw(image).text((20, 20), f"Scanned page {n + 1} of a report", fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 50, 400, 500, 250)
        pdf.showPage()
    pdf.save()
    return path


def corrupted_pdf(path: Path) -> Path:
    """Not a PDF any more: the header survives, the body is noise."""
    good = text_pdf(path.with_suffix(".good.pdf")).read_bytes()
    noise = zlib.compress(b"\x00garbage" * 500)
    path.write_bytes(good[:20] + noise + b"\n%%EOF\n")
    return path


def bad_page_pdf(path: Path) -> Path:
    """A good document whose page 2 content stream is scrambled: pages 1 and 3 still read."""
    good = text_pdf(path.with_suffix(".good.pdf")).read_bytes()
    page2 = good.find(b"\n11 0 obj")
    start = good.find(b"stream\n", page2) + len(b"stream\n")
    end = good.find(b"endstream", start)
    path.write_bytes(good[:start] + bytes(b ^ 0x5A for b in good[start:end]) + good[end:])
    return path
