"""text2qa and agentic_rag on their samples with scripted models; the shipped pipelines compile."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import read_jsonl

from streamflow.pipelines.agentic_rag import AgenticRAGPipeline
from streamflow.pipelines.text2qa import Text2QAPipeline
from streamflow.testing import ScriptedServing


def qa_model(prompt: str) -> str:
    if "Write instructions" in prompt:
        return '["Ask for a year in the text.", "Ask for a name in the text."]'
    if prompt.startswith("Ask for"):
        return "Q: Which year is mentioned first?\nA: 1788"
    return "**Grading**: 4\n\n**Feedback**: clear"


def test_text2qa_sample(tmp_path: Path) -> None:
    pipeline = Text2QAPipeline(ScriptedServing(qa_model), num_samples=2, question_num=2)
    result = pipeline.run(output=tmp_path / "qa.jsonl", run_dir=tmp_path / "run")
    rows = read_jsonl(tmp_path / "qa.jsonl")
    assert len(rows) == 4 and result.dead_letters.count == 0  # 2 passages x 2 questions
    assert all(r["question_quality_grades"] == 4.0 for r in rows)
    assert len({r["text"] for r in rows}) == 2


def rag_model(prompt: str) -> str:
    if prompt.startswith("Text:"):
        return '{"content_identifier": "Aldermoor"}'
    if prompt.startswith("Document fragment:"):
        return json.dumps(
            [{"conclusion": "1788", "R": "Year the Aldermoor harbour board was founded"}]
        )
    if prompt.startswith("ID:"):
        return '{"Q": "In which year was the harbour board of Aldermoor founded?"}'
    if '"original_answer"' in prompt:
        return json.dumps({**json.loads(prompt), "refined_answer": "1788"})
    if prompt.startswith("Answer this question"):
        return "Not sure."
    if prompt.startswith("Golden answer:"):
        return '{"answer_score": 2}' if "Other answer: 1788" in prompt else '{"answer_score": 0}'
    if prompt.startswith("Document:"):
        return "1788" if "1788" in prompt else "unknown"
    return '["1788"]'


def test_agentic_rag_sample(tmp_path: Path) -> None:
    result = AgenticRAGPipeline(ScriptedServing(rag_model)).run(
        output=tmp_path / "tasks.jsonl", run_dir=tmp_path / "run"
    )
    rows = read_jsonl(tmp_path / "tasks.jsonl")
    assert len(rows) == 1 and rows[0]["F1Score"] == 1.0  # only the first document mentions 1788
    assert rows[0]["question"].startswith("In which year")
    assert result.dead_letters.count == 0
