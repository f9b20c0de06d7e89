"""ReasoningQuestionFilter: an LLM judge of well-posedness (decisions from scripted replies)."""

from __future__ import annotations

from streamflow.operators.reasoning._base import JUDGEMENT_TEST_SCHEMA
from streamflow.operators.reasoning.prompts import (
    DiyQuestionFilterPrompt,
    GeneralQuestionFilterPrompt,
    MathQuestionFilterPrompt,
)
from streamflow.operators.reasoning.question_filter import ReasoningQuestionFilter
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply

REPLIES = {
    "good": 'Checks pass.\n{"judgement_test": true, "error_type": null}',
    "bad": '{"judgement_test": false, "error_type": "half a person"}',
    "shouty": '{"judgement_test": "TRUE"}',
    "rambling": "Well, true, it is sort of fine I guess.",
    "flip": '{"judgement_test": true} wait, no: {"judgement_test": false, "error_type": "x"}',
}


def judge(prompt: str) -> str:
    for key, reply in REPLIES.items():
        if f"---\n{key}\n---" in prompt:
            return reply
    if "FAIL" in prompt:
        raise LLMRequestError("gave up after 5 attempts: HTTP 503", transient=True)
    raise AssertionError(prompt)


def test_keeps_what_the_judge_passes_and_records_why_it_drops() -> None:
    serving = ScriptedServing(judge)
    op = ReasoningQuestionFilter(
        system_prompt="You judge.", llm_serving=serving, json_schema=JUDGEMENT_TEST_SCHEMA
    )
    assert isinstance(op.prompt_template, MathQuestionFilterPrompt)
    rows = [{"math_problem": k} for k in [*REPLIES, "FAIL"]] + [{"math_problem": ""}]
    out = apply(op, rows)
    assert [r["math_problem"] for r in out.batch.rows] == ["good", "shouty"]
    dropped = {d.reason for d in out.dropped}
    assert dropped == {
        "judged ill-posed: half a person",
        "judged ill-posed: x",
        "empty question in 'math_problem'",
    }
    failed = {row["math_problem"]: reason for _, row, reason in out.failed}
    assert failed["rambling"].startswith('no "judgement_test" verdict in the reply')
    assert failed["FAIL"] == "gave up after 5 attempts: HTTP 503"
    assert serving.requests[0][0][0] == {"role": "system", "content": "You judge."}
    assert all(schema is JUDGEMENT_TEST_SCHEMA for _, schema in serving.requests)
    assert len(serving.requests) == 6


def test_general_and_diy_templates() -> None:
    serving = ScriptedServing(lambda p: '{"judgement_test": true}')
    ReasoningQuestionFilter(llm_serving=serving, prompt_template=GeneralQuestionFilterPrompt())
    diy = ReasoningQuestionFilter(
        llm_serving=serving, prompt_template=DiyQuestionFilterPrompt("Is this fine? {question}")
    )
    out = apply(diy, [{"q": "2+2"}], input_key="q")
    assert len(out.batch.rows) == 1
    assert serving.prompts[-1] == "Is this fine? 2+2"
