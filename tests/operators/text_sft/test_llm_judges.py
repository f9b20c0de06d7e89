"""SFTGeneratorSeed, the AlpaGasus judge and Tree-Instruct's counter on a scripted serving."""

from __future__ import annotations

import json

import pytest

from streamflow.operators.structured import schema_of
from streamflow.operators.text_sft import (
    AlpagasusFilter,
    AlpagasusSampleEvaluator,
    SFTGeneratorSeed,
    TreeinstructFilter,
    TreeinstructSampleEvaluator,
)
from streamflow.operators.text_sft.alpagasus import AlpagasusRating
from streamflow.operators.text_sft.sft_generator_seed import SFTPair
from streamflow.operators.text_sft.treeinstruct import TreeNodeCount
from streamflow.serving.base import Completion, SamplingParams, Usage
from streamflow.testing import ScriptedServing, apply


class Recording(ScriptedServing):
    """Also keeps each request's sampling parameters."""

    def __init__(self, answer):
        super().__init__(answer)
        self.seen: list[SamplingParams] = []

    async def _complete(self, messages, json_schema, params):
        self.seen.append(params)
        return await super()._complete(messages, json_schema, params)


def test_sft_pairs_from_documents():
    def answer(prompt: str) -> str:
        return json.dumps(
            {"instruction": f"Q about {prompt[:5]}", "output": f" A from {prompt[:5]} "}
        )

    serving = Recording(answer)
    op = SFTGeneratorSeed(serving, custom_prompt="Suit middle-school students.")
    rows = [
        {"raw_content": "Bees make honey."},
        {"raw_content": "  "},
        {"raw_content": "Rivers flow."},
    ]
    out = apply(op, rows)
    assert out.batch.rows[0] == {
        "raw_content": "Bees make honey.",
        "instruction": "Q about Bees",
        "output": "A from Bees",
    }
    assert [r for _, _, r in out.failed] == ["empty or missing field 'raw_content'"]
    messages, schema = serving.requests[0]
    assert (
        messages[0]["role"] == "system" and "Suit middle-school students." in messages[0]["content"]
    )
    assert messages[1] == {"role": "user", "content": "Bees make honey."}
    assert schema == schema_of(SFTPair)
    assert {p.max_tokens for p in serving.seen} == {4096}
    assert len({p.seed for p in serving.seen}) == 2  # one per row, from its id


def test_sft_answers_that_do_not_fit_fail_with_the_answer():
    answers = iter(['{"instruction": "Q"}', "not json", '{"instruction": " ", "output": "x"}'])
    op = SFTGeneratorSeed(ScriptedServing(lambda p: next(answers)), max_tokens=64)
    out = apply(op, [{"text": "a"}], input_key="text")
    assert "does not fit the schema" in out.failed[0][2] and "output" in out.failed[0][2]
    out = apply(op, [{"text": "a"}], input_key="text")
    assert out.failed[0][2].startswith("answer is not valid JSON")
    out = apply(op, [{"text": "a"}], input_key="text")
    assert out.failed[0][2] == "the model wrote an empty instruction or output"


def test_answers_cut_off_at_max_tokens_say_so():
    class Cut(ScriptedServing):
        async def _complete(self, messages, json_schema, params):
            return Completion(['{"instruction": "Q", "out'], Usage(1, 1), ["length"])

    out = apply(SFTGeneratorSeed(Cut()), [{"raw_content": "doc"}])
    assert out.failed[0][2].startswith("answer cut off at max_tokens")


def test_alpagasus_scores_with_the_judge_prompt():
    serving = ScriptedServing(lambda p: json.dumps({"score": 4.5, "explanation": "clear"}))
    op = AlpagasusSampleEvaluator(serving, dimension="helpfulness")
    rows = [
        {"instruction": "Add 2+2", "input": "", "output": "4"},
        {"instruction": "x", "output": ""},
    ]
    out = apply(op, rows, input_input_key="input")
    assert out.batch.rows == [{**rows[0], "AlpagasusScore": 4.5}]
    assert out.failed[0][2] == "empty or missing field 'output'"
    messages, schema = serving.requests[0]
    assert (
        "Instruction: Add 2+2" in messages[0]["content"] and "Response: 4" in messages[0]["content"]
    )
    assert "helpfulness" in messages[1]["content"]
    assert schema == schema_of(AlpagasusRating)
    assert schema["properties"]["score"] == {"type": "number", "minimum": 0, "maximum": 5}


def test_alpagasus_filter_keeps_three_to_five_and_says_why():
    scores = iter([2, 3, 5])
    serving = ScriptedServing(lambda p: json.dumps({"score": next(scores), "explanation": "e"}))
    rows = [{"instruction": f"q{i}", "output": f"a{i}"} for i in range(3)]
    out = apply(AlpagasusFilter(llm_serving=serving), rows)
    assert [r["AlpagasusScore"] for r in out.batch.rows] == [3, 5]
    assert out.dropped[0].reason == "AlpagasusScore 2 outside [3, 5]"
    out_of_range = ScriptedServing(lambda p: json.dumps({"score": 7, "explanation": "e"}))
    out = apply(AlpagasusFilter(llm_serving=out_of_range), rows[:1])
    assert "does not fit the schema" in out.failed[0][2]


def test_treeinstruct_counts_nodes():
    serving = ScriptedServing(lambda p: json.dumps({"tree": "root(add(2,2))", "node_count": 4}))
    out = apply(TreeinstructSampleEvaluator(serving), [{"instruction": "Add 2 and 2"}])
    assert out.batch.rows[0]["TreeinstructScore"] == 4
    messages, schema = serving.requests[0]
    assert "Add 2 and 2" in messages[0]["content"] and schema == schema_of(TreeNodeCount)
    counts = iter([4, 9])
    serving = ScriptedServing(lambda p: json.dumps({"tree": "t", "node_count": next(counts)}))
    rows = [{"q": "short"}, {"q": "longer"}]
    out = apply(TreeinstructFilter(llm_serving=serving), rows, input_key="q")
    assert [r["q"] for r in out.batch.rows] == ["longer"]
    assert out.dropped[0].reason == "TreeinstructScore 4 outside [7, 100]"


def test_filters_refuse_an_empty_range():
    with pytest.raises(ValueError, match="min_score"):
        TreeinstructFilter(min_score=10, max_score=5, llm_serving=ScriptedServing())
