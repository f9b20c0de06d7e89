"""MathBookQuestionExtract: rendered pages and figures per request, exercises split on <SPACE>."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from streamflow.operators.knowledge_cleaning.mathbook_question_extract import (
    MathBookQuestionExtract,
)
from streamflow.testing import ScriptedServing, apply


def book(path: Path) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 750, "Exercise 1. Find the area of the triangle in the figure.")
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "blue").save(buffer, format="PNG")
    pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 72, 600, 120, 80)
    pdf.showPage()
    pdf.drawString(72, 750, "Exercise 2. Solve x + 2 = 5.")
    pdf.showPage()
    pdf.save()
    return path


def test_pages_and_figures_go_to_the_vision_model(tmp_path: Path) -> None:
    def answer(content: str) -> str:
        if "page_n (page_0.jpg)" in content:
            return "Find the area of the triangle <image>0.jpg</image>.<SPACE>"
        return "Solve $x + 2 = 5$."

    llm = ScriptedServing(answer)
    op = MathBookQuestionExtract(llm, dpi=40, output_folder=str(tmp_path / "out"))
    out = apply(op, [{"pdf_path": str(book(tmp_path / "book.pdf"))}, {"pdf_path": "absent.pdf"}])
    (row,) = out.batch.rows
    assert [q["text"] for q in row["questions"]] == [
        "Find the area of the triangle .",
        "Solve $x + 2 = 5$.",
    ]
    assert row["questions"][0]["pics"] == [
        str(tmp_path / "out" / "book" / "organized_images" / "0.jpg")
    ]
    contents = [messages[-1]["content"] for messages, _ in llm.requests]
    first = next(c for c in contents if "page_n (page_0.jpg)" in str(c))
    last = next(c for c in contents if "page_n (page_1.jpg)" in str(c))
    assert [p["type"] for p in first].count("image_url") == 3  # type: ignore[union-attr]
    assert [p["type"] for p in last].count("image_url") == 1  # type: ignore[union-attr]
    assert (tmp_path / "out" / "book" / "book.md").read_text().count("---") == 2
    assert "no PDF" in out.failed[0][2]


def test_a_page_answer_cut_off_at_max_tokens_fails_the_book(tmp_path: Path) -> None:
    llm = ScriptedServing(lambda content: "Find the area", cut_off=lambda text: True)
    op = MathBookQuestionExtract(llm, dpi=40, output_folder=str(tmp_path / "out"))
    rows = [{"pdf_path": str(book(tmp_path / "book.pdf"))}]
    (failed,) = apply(op, rows).failed
    assert "book.pdf: answer cut off at max_tokens=" in failed[2]
    (row,) = apply(op.accept_truncated_answers(), rows).batch.rows
    assert [q["text"] for q in row["questions"]] == ["Find the area", "Find the area"]
