"""pdf_vqa_extract on the sample exam with a scripted model that marks items by id."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import read_jsonl

from streamflow.pipelines.pdf_vqa_extract import PdfVQAExtractPipeline
from streamflow.testing import ScriptedServing


def marker(prompt: str) -> str:
    """Reads the numbered layout in the prompt and answers with ids, questions and answers
    printed apart (as in the sample: answers in a later chapter)."""
    items = json.loads(prompt[prompt.index("[") :])
    ids = {
        i["text"].split(".")[0]: i["id"] for i in items if i.get("text", "").startswith("Exercise")
    }
    questions = [
        i for i in items if i.get("text", "").startswith("Exercise") and "Answer:" not in i["text"]
    ]
    answers = [i for i in items if "Answer:" in i.get("text", "")]
    title = next(i["id"] for i in items if i.get("text_level") == 1)
    out = [f"<chapter><title>{title}</title>"]
    for q in questions:
        label = re.search(r"\d+", q["text"]).group()
        out.append(
            f"<qa_pair><label>{label}</label><question>{q['id']}</question><answer></answer><solution></solution></qa_pair>"
        )
    for a in answers:
        label = re.search(r"\d+", a["text"]).group()
        short = re.search(r"Answer: (.*?)\. ", a["text"]).group(1)
        out.append(
            f"<qa_pair><label>{label}</label><question></question><answer>{short}</answer><solution>{a['id']}</solution></qa_pair>"
        )
    del ids
    return "".join(out) + "</chapter>"


def test_sample_exam_becomes_sharegpt_samples(tmp_path: Path) -> None:
    llm = ScriptedServing(marker)
    pipeline = PdfVQAExtractPipeline(llm, work_dir=str(tmp_path / "work"))
    result = pipeline.run(output=tmp_path / "vqa.jsonl", run_dir=tmp_path / "run")
    rows = read_jsonl(tmp_path / "vqa.jsonl")
    assert result.dead_letters.count == 0 and len(rows) == 3
    first = rows[0]["messages"]
    assert first[0]["content"].startswith("Exercise 1. A boat sails 12 km north")
    assert first[1]["content"].startswith("13 km\n\nExercise 1. Answer: 13 km.")
    merged = tmp_path / "work" / "harbour-mathematics" / "merged_qa_pairs.md"
    assert "### Question 3" in merged.read_text()
