"""Structured output: schemas from msgspec types, decoding, failures; guided decoding on the
real engine gives schema-valid answers for every row."""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
import pytest

from streamflow.operators.structured import (
    ask_structured,
    ask_texts,
    decode_as,
    row_seed,
    sampling,
    schema_errors,
    schema_of,
)
from streamflow.rows import Failure
from streamflow.serving.base import Completion, LLMRequestError, SamplingParams, Usage
from streamflow.testing import ScriptedServing


class Inner(msgspec.Struct, forbid_unknown_fields=True):
    word: Annotated[str, msgspec.Meta(max_length=10)]


class Outer(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[Inner], msgspec.Meta(max_length=2)]
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]


def test_schema_is_self_contained_and_strict():
    schema = schema_of(Outer)
    assert "$ref" not in json.dumps(schema) and "$defs" not in schema
    assert schema["required"] == ["items", "score"] and schema["additionalProperties"] is False
    item = schema["properties"]["items"]["items"]
    assert item["properties"]["word"] == {"type": "string", "maxLength": 10}
    assert schema["properties"]["score"] == {"type": "integer", "minimum": 1, "maximum": 5}
    assert schema_errors({"items": [{"word": "a"}], "score": 3}, schema) is None
    assert "is greater than the maximum of 5" in str(
        schema_errors({"items": [], "score": 9}, schema)
    )


def test_decoding_names_what_is_wrong():
    assert decode_as('```json\n{"items": [], "score": 2}\n```', Outer) == Outer([], 2)
    assert str(decode_as('{"items": [], "score": 7}', Outer)).startswith(
        "answer does not fit the schema"
    )
    assert str(decode_as('{"items": [], "score": 2, "x": 1}', Outer)).startswith(
        "answer does not fit"
    )
    assert str(decode_as("score: 2", Outer)).startswith("answer is not valid JSON")


def test_ask_structured_sends_the_schema_and_fails_rows_alone():
    answers = {"a": '{"items": [{"word": "hi"}], "score": 4}', "b": "nope"}

    def answer(prompt: str) -> str:
        if prompt == "c":
            raise LLMRequestError("HTTP 503", transient=True)
        return answers[prompt]

    serving = ScriptedServing(answer)
    got = _run(ask_structured(serving, ["a", "b", None, "c"], Outer))
    assert got[0] == Outer([Inner("hi")], 4)
    assert (
        isinstance(got[1], Failure)
        and "not valid JSON" in got[1].reason
        and "'nope'" in got[1].reason
    )
    assert got[2] is None
    assert got[3] == Failure("HTTP 503", transient=True)
    assert all(schema == schema_of(Outer) for _, schema in serving.requests)


def test_a_cut_off_answer_says_so():
    class Cut(ScriptedServing):
        async def _complete(self, messages, json_schema, params):
            return Completion(['{"items": [{"wo'], Usage(1, 1), ["length"])

    (got,) = _run(ask_structured(Cut(), ["x"], Outer))
    assert got.reason.startswith("answer cut off at max_tokens")


def test_sampling_overrides_and_seeds():
    serving = ScriptedServing(params=SamplingParams(max_tokens=64, temperature=0.2))
    assert sampling(serving) is serving.params
    changed = sampling(serving, max_tokens=512, seed=7)
    assert (changed.max_tokens, changed.temperature, changed.seed) == (512, 0.2, 7)
    assert row_seed("gen:1", "q") == row_seed("gen:1", "q") != row_seed("gen:2", "q")
    with pytest.raises(ValueError, match="2 sampling parameter sets for 1 prompts"):
        _run(ask_texts(serving, ["x"], params=[changed, changed]))


def _run(coro: Any) -> Any:
    import anyio

    async def main() -> Any:
        return await coro

    return anyio.run(main)


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_every_structured_operator_answers_within_its_schema_on_the_real_engine(vllm_serving):
    """Guided decoding (xgrammar, compact JSON): every row of every JSON-expecting operator
    decodes and validates; none is a dead letter for its JSON."""
    from streamflow.operators.conversations import (
        CompositionTaskFilter,
        FuncCallConversationSampleEvaluator,
        FunctionGenerator,
        SequentialTaskGenerator,
    )
    from streamflow.operators.conversations.functions import check_tools
    from streamflow.operators.text_sft import (
        AlpagasusSampleEvaluator,
        SFTGeneratorSeed,
        TreeinstructSampleEvaluator,
    )
    from streamflow.rows import current_row_ids

    tasks = [
        "Find the opening hours of the city library on Saturday.",
        "Convert 120 US dollars into euros.",
        "Get the weather forecast for Lisbon tomorrow.",
        "List the trains from Leeds to York after 6 pm.",
    ]
    pairs = [{"instruction": t, "output": "I looked it up for you: it is 9 to 5."} for t in tasks]
    rows_by_op = [
        (
            SequentialTaskGenerator(vllm_serving, max_tokens=256),
            [{"t": t} for t in tasks],
            {"input_task_key": "t"},
        ),
        (
            CompositionTaskFilter(vllm_serving, max_tokens=384),
            [{"c": t, "a": t, "b": "Summarise the result."} for t in tasks],
            {"input_composition_task_key": "c", "input_sub_tasks_keys": ["a", "b"]},
        ),
        (
            FunctionGenerator(vllm_serving, max_tokens=768),
            [{"c": t, "a": t, "b": "Summarise the result."} for t in tasks],
            {"input_composition_task_key": "c", "input_sub_tasks_keys": ["a", "b"]},
        ),
        (
            FuncCallConversationSampleEvaluator(vllm_serving, max_tokens=256),
            [
                {
                    "conversations": [
                        {"role": "user", "content": t},
                        {"role": "assistant", "content": "Done."},
                    ]
                }
                for t in tasks
            ],
            {},
        ),
        (AlpagasusSampleEvaluator(vllm_serving), pairs, {}),
        (TreeinstructSampleEvaluator(vllm_serving), pairs, {}),
        (SFTGeneratorSeed(vllm_serving, max_tokens=768), [{"raw_content": t} for t in tasks], {}),
    ]
    for op, rows, keys in rows_by_op:
        token = current_row_ids.set([f"row:{i}" for i in range(len(rows))])
        try:
            results = await op.process([dict(r) for r in rows], **keys)
        finally:
            current_row_ids.reset(token)
        failures = [r for r in results if isinstance(r, Failure)]
        assert failures == [], (op.name, failures)
        if isinstance(op, FunctionGenerator):
            assert all(check_tools(r["functions"]) is None for r in results)
