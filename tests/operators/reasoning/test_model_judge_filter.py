"""ReasoningAnswerModelJudgeFilter: an LLM compares answer and reference."""

from __future__ import annotations

from streamflow.operators.reasoning._base import JUDGEMENT_RESULT_SCHEMA
from streamflow.operators.reasoning.model_judge_filter import ReasoningAnswerModelJudgeFilter
from streamflow.operators.reasoning.prompts import AnswerJudgePrompt, AnswerJudgePromptQuestion
from streamflow.testing import ScriptedServing, apply


def judge(prompt: str) -> str:
    if "Current answer: four" in prompt or "Current answer: 4" in prompt:
        return '{"judgement_result": true}'
    if "Current answer: ???" in prompt:
        return "hard to say"
    return '{"judgement_result": false}'


ROWS = [
    {"question": "2+2?", "answer": "4", "reference_answer": "4"},
    {"question": "2+2?", "answer": "four", "reference_answer": "4"},
    {"question": "2+2?", "answer": "5", "reference_answer": "4"},
    {"question": "2+2?", "answer": "4", "reference_answer": ""},
    {"question": "2+2?", "answer": "???", "reference_answer": "4"},
]


def test_keeps_matches_and_writes_the_verdict() -> None:
    serving = ScriptedServing(judge)
    op = ReasoningAnswerModelJudgeFilter(llm_serving=serving, json_schema=JUDGEMENT_RESULT_SCHEMA)
    assert isinstance(op.prompt_template, AnswerJudgePromptQuestion)
    out = apply(op, [dict(r) for r in ROWS])
    assert [(r["answer"], r["answer_match_result"]) for r in out.batch.rows] == [
        ("4", True),
        ("four", True),
    ]
    assert [d.reason for d in out.dropped] == [
        "judged inconsistent with the reference answer",
        "no reference answer",
    ]
    assert out.failed[0][2].startswith('no "judgement_result" verdict in the reply')
    assert len(serving.requests) == 4  # the row without a reference is not sent
    assert "Question: 2+2?" in serving.prompts[0]


def test_keep_all_samples_keeps_every_row_with_its_verdict() -> None:
    serving = ScriptedServing(judge)
    op = ReasoningAnswerModelJudgeFilter(
        llm_serving=serving, prompt_template=AnswerJudgePrompt(), keep_all_samples=True
    )
    out = apply(
        op,
        [dict(r) for r in ROWS[:4]],
        input_answer_key="answer",
        input_reference_key="reference_answer",
        output_key="match",
    )
    assert [r["match"] for r in out.batch.rows] == [True, True, False, False]
    assert "Question:" in serving.prompts[0]  # AnswerJudgePrompt takes the question too
