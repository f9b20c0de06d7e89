"""CodeQualitySampleEvaluator and CodeQualityScoreFilter on a scripted reviewer."""

from __future__ import annotations

import pytest

from streamflow.operators.code.quality import (
    REVIEW_SCHEMA,
    CodeQualitySampleEvaluator,
    CodeQualityScoreFilter,
    parse_review,
)
from streamflow.testing import ScriptedServing, apply


def reviewer(prompt: str) -> str:
    if "GOOD" in prompt:
        return "Score: 9\nFeedback: Correct and clear."
    if "MEH" in prompt:
        return "I'd rate this 5/10 - it works but misses edge cases."
    return "Looks fine to me."


@pytest.mark.parametrize(
    ("reply", "parsed"),
    [
        ("Score: 8\nFeedback: Good.\nMore.", (8, "Good.\nMore.")),
        ("**Score:** 7\n**Feedback:** ok", (7, "ok")),
        ("score: 3", (3, "")),
        ("Rating: 6/10. Fine.", (6, "Fine.")),
        ('{"score": 9, "feedback": "Handles empty input."}', (9, "Handles empty input.")),
        ('{"score": 4, "feedback": "Misses the edge ca', (4, "Misses the edge ca")),  # cut off
    ],
)
def test_parse_review(reply: str, parsed: tuple) -> None:
    assert parse_review(reply) == parsed


def test_parse_review_refuses_out_of_range_and_missing_scores() -> None:
    assert "outside 1-10" in str(parse_review("Score: 11"))
    assert "no score" in str(parse_review("nice code"))
    assert "outside 1-10" in str(parse_review('{"score": 0, "feedback": "x"}'))
    assert "not a number" in str(parse_review('{"score": "high", "feedback": "x"}'))


def test_the_review_schema_is_sent_when_given() -> None:
    serving = ScriptedServing(lambda p: '{"score": 8, "feedback": "ok"}')
    op = CodeQualitySampleEvaluator(serving, json_schema=REVIEW_SCHEMA)
    out = apply(op, [{"i": "a", "c": "b"}], input_instruction_key="i", input_code_key="c")
    assert out.batch.rows[0]["quality_score"] == 8
    assert serving.requests[0][1] == REVIEW_SCHEMA


def rows() -> list[dict]:
    return [
        {"i": "Add numbers.", "c": "GOOD"},
        {"i": "Sort a list.", "c": "MEH"},
        {"i": "Parse JSON.", "c": "???"},
        {"i": "", "c": "GOOD"},
    ]


def test_evaluator_scores_each_pair_and_fails_unreadable_replies() -> None:
    serving = ScriptedServing(reviewer)
    out = apply(
        CodeQualitySampleEvaluator(serving), rows(), input_instruction_key="i", input_code_key="c"
    )
    assert [(r["quality_score"], r["quality_feedback"]) for r in out.batch.rows] == [
        (9, "Correct and clear."),
        (5, "it works but misses edge cases."),
    ]
    reasons = [f[2] for f in out.failed]
    assert reasons[0].startswith("no score 1-10 in reply 'Looks fine to me.'")
    assert reasons[1] == "no instruction in 'i' or no code in 'c'"
    assert len(serving.prompts) == 3 and "Add numbers." in serving.prompts[0]


def test_filter_reviews_only_unscored_rows_and_keeps_the_range() -> None:
    serving = ScriptedServing(reviewer)
    op = CodeQualityScoreFilter(serving, min_score=7, max_score=10)
    given = [*rows()[:2], {"i": "x", "c": "y", "quality_score": 8, "quality_feedback": "fine"}]
    out = apply(op, given, input_instruction_key="i", input_code_key="c", output_key="label")
    assert [r["c"] for r in out.batch.rows] == ["GOOD", "y"]
    assert [r["label"] for r in out.batch.rows] == [1, 1]
    assert out.dropped[0].reason == "quality score 5 outside [7, 10]"
    assert len(serving.prompts) == 2  # the scored row was not sent


def test_filter_rejects_an_empty_range() -> None:
    with pytest.raises(ValueError):
        CodeQualityScoreFilter(ScriptedServing(), min_score=9, max_score=3)
