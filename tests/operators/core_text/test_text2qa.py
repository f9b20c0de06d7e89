"""Text2QAGenerator and Text2QASampleEvaluator with a scripted model."""

from __future__ import annotations

from streamflow.operators.core_text.text2qa_evaluator import (
    Text2QASampleEvaluator,
    parse_grade_and_feedback,
)
from streamflow.operators.core_text.text2qa_generator import Text2QAGenerator, parse_q_a
from streamflow.testing import ScriptedServing, apply

TEXT = "The Aldermoor lighthouse was built in 1851 by the engineer Tobias Wren."


def fake(prompt: str) -> str:
    if "Write instructions" in prompt:
        return '["Ask who built it.", "Ask when it was built.", "Ask its colour."]'
    if prompt.startswith("Ask who"):
        return "Q: Who built the Aldermoor lighthouse?\nA: Tobias Wren"
    if prompt.startswith("Ask when"):
        return "q: When was it built?\na: 1851"
    return "I do not know."


def test_generator_expands_rows_with_question_num() -> None:
    llm = ScriptedServing(fake)
    op = Text2QAGenerator(llm)
    out = apply(op, [{"text": TEXT}, {"text": ""}], ids=["t", "e"], question_num=2)
    assert out.batch.ids == ["t/0", "t/1"]
    assert [(r["generated_question"], r["generated_answer"]) for r in out.batch.rows] == [
        ("Who built the Aldermoor lighthouse?", "Tobias Wren"),
        ("When was it built?", "1851"),
    ]
    assert out.batch.rows[0]["generated_prompt"] == "Ask who built it."
    step2 = [p for p in llm.prompts if p.startswith("Ask")]
    assert len(step2) == 2 and step2[0].endswith("Text:\n" + TEXT)
    assert [d.id for d in out.dropped] == ["e"]


def test_generator_fails_rows_whose_first_answer_is_not_a_list() -> None:
    out = apply(Text2QAGenerator(ScriptedServing(lambda p: "Sure! Here you go.")), [{"text": TEXT}])
    assert "no JSON list" in out.failed[0][2]


def test_parse_q_a() -> None:
    assert parse_q_a("Intro\nQ: What?\nA: That.") == ("What?", "That.")
    assert parse_q_a("nothing") == ("", "")


def test_evaluator_writes_four_grades_and_feedbacks() -> None:
    def judge(prompt: str) -> str:
        grade = 5 if "question quality" in prompt else 3
        return f"**Grading**: {grade}\n\n**Feedback**: reason {grade}"

    llm = ScriptedServing(judge)
    rows = [{"generated_question": "Who built it?", "generated_answer": "Tobias Wren"}]
    (row,) = apply(Text2QASampleEvaluator(llm), rows).batch.rows
    assert row["question_quality_grades"] == 5.0
    assert row["question_quality_feedbacks"] == "reason 5"
    assert row["downstream_value_grades"] == 3.0 and len(llm.prompts) == 4
    assert llm.prompts[0].endswith("Question: Who built it?\nAnswer: Tobias Wren")
    bad = apply(Text2QASampleEvaluator(ScriptedServing(lambda p: "great")), rows)
    assert "no grade" in bad.failed[0][2]


def test_parse_grade() -> None:
    assert parse_grade_and_feedback("**Grading**: [4]\n**Feedback**: ok") == (4.0, "ok")
    assert parse_grade_and_feedback("Score: 2. Vague.") == (2.0, "Vague.")
    assert parse_grade_and_feedback("**Grading**: 9") is None
