"""Per-question evaluators: difficulty, category, solvability (decisions from scripted replies)."""

from __future__ import annotations

import json

import pytest

from streamflow.operators.reasoning.question_evaluators import (
    CATEGORY_SCHEMA,
    DIFFICULTY_SCHEMA,
    ReasoningQuestionCategorySampleEvaluator,
    ReasoningQuestionDifficultySampleEvaluator,
    ReasoningQuestionSolvableSampleEvaluator,
    parse_rating,
)
from streamflow.prompts.base import DIYPromptABC
from streamflow.testing import ScriptedServing, apply

REPLIES = {
    "easy": "Summary: adding.\nRating: 1.5\nReason: one step.",
    "json": '{"rating": 7, "reason": "olympiad"}',
    "wild": "Rating: 42",
    "none": "It is quite hard.",
}


def by_question(replies: dict[str, str]):
    def answer(prompt: str) -> str:
        for key, reply in replies.items():
            if f"\n{key}\n" in prompt:
                return reply
        raise AssertionError(f"unexpected prompt {prompt!r}")

    return answer


@pytest.mark.parametrize(
    ("reply", "rating"),
    [("Rating: 3", 3.0), ("rating : 4.5 because", 4.5), ('{"rating": 2}', 2.0),
     ("Rating: 0", None), ("Rating: 11", None), ("no rating", None)],
)  # fmt: skip
def test_parse_rating(reply, rating) -> None:
    assert parse_rating(reply) == rating


def test_difficulty_written_or_the_row_fails() -> None:
    serving = ScriptedServing(by_question(REPLIES))
    op = ReasoningQuestionDifficultySampleEvaluator(serving, json_schema=DIFFICULTY_SCHEMA)
    rows = [{"q": k} for k in REPLIES] + [{"q": ""}]
    out = apply(op, rows, input_key="q")
    assert [(r["q"], r["difficulty_score"]) for r in out.batch.rows] == [
        ("easy", 1.5),
        ("json", 7.0),
    ]
    failed = {row["q"]: reason for _, row, reason in out.failed}
    assert failed["wild"].startswith("no rating between 1 and 10 in the reply: 'Rating: 42'")
    assert failed["none"].startswith("no rating between 1 and 10")
    assert failed[""] == "empty question in 'q'"
    assert all(schema == DIFFICULTY_SCHEMA for _, schema in serving.requests)
    assert 1.5 in DIFFICULTY_SCHEMA["properties"]["rating"]["enum"]


def test_category_fields_from_names_numbers_or_failures() -> None:
    replies = {
        "names": json.dumps(
            {
                "primary_category": "Arithmetic",
                "secondary_category": "Word Problems and Real-Life Applications",
            }
        ),
        "codes": '```json\n{"primary_category": "2", "secondary_category": "2.4"}\n```',
        "chatty": 'Sure! {"primary_category": "Geometry and Topology", "secondary_category": "x"}',
        "alien": '{"primary_category": "Cooking", "secondary_category": "Baking"}',
        "prose": "This is arithmetic.",
    }
    op = ReasoningQuestionCategorySampleEvaluator(ScriptedServing(by_question(replies)))
    out = apply(op, [{"instruction": k} for k in replies])
    got = {
        r["instruction"]: (r["primary_category"], r["secondary_category"]) for r in out.batch.rows
    }
    assert got == {
        "names": ("Arithmetic", "Word Problems and Real-Life Applications"),
        "codes": ("Algebra and Number Theory", "Number Theory"),
        "chatty": ("Geometry and Topology", ""),
    }
    assert out.batch.rows[0]["question_category"] == {
        "primary_category": "Arithmetic",
        "secondary_category": "Word Problems and Real-Life Applications",
    }
    failed = {row["instruction"]: reason for _, row, reason in out.failed}
    assert failed["alien"].startswith("no category of the taxonomy in the reply")
    assert failed["prose"].startswith("no JSON object in the reply")
    assert set(CATEGORY_SCHEMA["properties"]["primary_category"]["enum"]) >= {"Arithmetic"}


def test_solvable_writes_the_reply_and_optionally_the_verdict() -> None:
    replies = {
        "ok": "#Judgement#: True\n#Explanation#: clear.",
        "bad": "#Judge ment#: false\n#Explanation#: missing data.",
        "odd": "I think so.",
    }
    op = ReasoningQuestionSolvableSampleEvaluator(ScriptedServing(by_question(replies)))
    rows = [{"q": k} for k in replies]
    plain = apply(op, rows, input_key="q", output_key="solvability")
    assert [r["solvability"] for r in plain.batch.rows] == list(replies.values())
    judged = apply(op, rows, input_key="q", output_key="s", output_solvable_key="ok")
    assert [(r["q"], r["ok"]) for r in judged.batch.rows] == [("ok", True), ("bad", False)]
    assert judged.failed[0][2].startswith("no #Judgement#: True/False in the reply")


def test_diy_template_may_name_its_field_as_it_likes() -> None:
    class Mine(DIYPromptABC):
        def build_prompt(self, text: str) -> str:
            return f"Judge:\n{text}\n"

    serving = ScriptedServing(lambda p: "#Judgement#: True")
    op = ReasoningQuestionSolvableSampleEvaluator(serving, prompt_template=Mine())
    out = apply(op, [{"q": "1+1"}], input_key="q", output_key="s", output_solvable_key="v")
    assert out.batch.rows[0]["v"] is True
    assert serving.prompts == ["Judge:\n1+1\n"]
