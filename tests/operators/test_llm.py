"""ask_each and the answers it accepts (issue 9, item 12): an answer cut off at max_tokens
fails its row unless the operator accepts truncated text, which is then counted; an error
inside the concurrent requests is reported as itself, and a run-stopping error stops the run."""

from __future__ import annotations

import functools

import anyio
import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.core_text import FormatStrPromptedGenerator, PromptedGenerator
from streamflow.operators.knowledge_cleaning import KBCTextCleaner
from streamflow.operators.llm import ask_each, ask_samples
from streamflow.plan import describe_operator
from streamflow.prompts.base import FormatStrPrompt
from streamflow.rows import Failure
from streamflow.serving.base import SamplingParams, ServerPausedError
from streamflow.testing import ScriptedServing, apply


def CutOff(answer=lambda prompt: f"<{prompt}>", **options) -> ScriptedServing:
    """Answers ``<prompt>``, cut off at max_tokens where the answer contains "long"."""
    return ScriptedServing(answer, cut_off=lambda text: "long" in text, **options)


def test_a_cut_off_answer_fails_its_row_by_default():
    serving = CutOff(params=SamplingParams(max_tokens=32))
    out = apply(PromptedGenerator(serving, user_prompt=""), [{"raw_content": "a long text"}])
    (failed,) = out.failed
    assert failed[2].startswith("answer cut off at max_tokens=32 (finish_reason 'length')")
    assert "'<a long text>'" in failed[2]  # the start of the answer, to judge it by
    out = apply(PromptedGenerator(serving, user_prompt=""), [{"raw_content": "short"}])
    assert out.batch.rows == [{"raw_content": "short", "generated_content": "<short>"}]


async def test_accepted_truncated_answers_are_kept_and_counted(chain, tmp_path):
    rows = [{"text": "long one"}, {"text": "short"}, {"text": "long two"}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    template = FormatStrPrompt("{t}")
    ops = [
        (PromptedGenerator(CutOff(), user_prompt="", accept_truncated=True), {"input_key": "text"}),
        (
            FormatStrPromptedGenerator(CutOff(), prompt_template=template, accept_truncated=True),
            {"t": "text", "output_key": "again"},
        ),
    ]
    result = await chain(ops, entry_file=src, output_file=out).arun()
    assert [r["generated_content"] for r in read_jsonl(out)] == [
        "<long one>",
        "<short>",
        "<long two>",
    ]
    assert [s.truncated for s in result.stats.operators] == [2, 2]
    assert result.stats.snapshot()["steps"][1]["truncated"] == 2
    assert PromptedGenerator(CutOff(), accept_truncated=True).config["accept_truncated"] is True


async def test_an_error_inside_the_requests_is_reported_as_itself():
    calls: list[str] = []

    def answer(prompt: str) -> str:
        calls.append(prompt)
        if prompt == "b":
            raise TypeError(f"cannot answer {prompt}")
        return prompt.upper()

    answers = await ask_each(ScriptedServing(answer), [None, "b", "c"])
    assert answers[0] is None and answers[2] == "C"
    failure = answers[1]
    assert isinstance(failure, Failure) and failure.transient
    assert failure.reason == "request raised TypeError: cannot answer b (twice)"
    assert sorted(calls) == ["b", "b", "c"]  # the raising request alone was asked again


async def test_a_broken_serving_fails_rows_with_its_own_error_not_an_exception_group(
    chain, tmp_path
):
    def answer(prompt: str) -> str:
        raise TypeError("content is not a str")

    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "a"}, {"text": "b"}])
    op = PromptedGenerator(ScriptedServing(answer), user_prompt="")
    result = await chain([(op, {"input_key": "text"})], entry_file=src).arun(
        output=tmp_path / "out.jsonl", max_failed_fraction=1.0
    )
    errors = [d.error for d in result.dead_letters.records()]
    assert len(errors) == 2
    assert all(e == "request raised TypeError: content is not a str (twice)" for e in errors), (
        errors
    )


async def test_a_run_stopping_error_stops_the_run(chain, tmp_path):
    def answer(prompt: str) -> str:
        raise ServerPausedError("http://llm", "3600", 3600, 60)

    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "a"}, {"text": "b"}])
    op = PromptedGenerator(ScriptedServing(answer), user_prompt="")
    with pytest.raises(ServerPausedError, match="Retry-After: 3600"):
        await chain([(op, {"input_key": "text"})], entry_file=src).arun(
            output=tmp_path / "out.jsonl"
        )


def test_sampled_answers_fail_when_one_is_cut_off_unless_accepted():
    serving = CutOff(
        lambda prompt: [f"{prompt} one", f"{prompt} two"], params=SamplingParams(temperature=1)
    )
    strict = anyio.run(functools.partial(ask_samples, serving, ["a long", "short", None], 2))
    assert isinstance(strict[0], Failure)
    assert strict[0].reason.startswith("2 of 2 sampled answers cut off at max_tokens=")
    assert strict[1:] == [["short one", "short two"], None]
    assert [p.n for p in serving.params_seen] == [2, 2]  # one request of two samples each
    kept = anyio.run(functools.partial(ask_samples, serving, ["a long"], 2, accept_truncated=True))
    assert kept == [["a long one", "a long two"]]


def test_greedy_samples_are_one_answer_asked_for_once():
    serving = ScriptedServing(lambda prompt: f"{prompt}!")  # temperature 0: decoding is greedy
    answers = anyio.run(functools.partial(ask_samples, serving, ["a", None], 3))
    assert answers == [["a!", "a!", "a!"], None]
    assert [p.n for p in serving.params_seen] == [1]  # vLLM refuses n > 1 when greedy


def test_every_llm_operator_can_accept_truncated_answers_and_its_fingerprint_says_so():
    cleaner = KBCTextCleaner(CutOff())
    before = describe_operator(cleaner)
    rows = [{"raw_chunk": "a long chunk"}]
    (failed,) = apply(cleaner, rows, input_key="raw_chunk", output_key="clean").failed
    assert failed[2].startswith("answer cut off at max_tokens=")
    assert cleaner.accept_truncated_answers() is cleaner
    assert describe_operator(cleaner) != before  # a resume with the other choice recomputes
    out = apply(cleaner, rows, input_key="raw_chunk", output_key="clean")
    assert [r["clean"] for r in out.batch.rows] and not out.failed


def test_answers_keep_their_order_and_skip_none_prompts():
    answers = anyio.run(ask_each, ScriptedServing(), ["a", None, "c"])
    assert answers == ["<a>", None, "<c>"]
    assert not any(isinstance(a, Failure) for a in answers)


# -- real engine -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_truncated_answers_of_the_real_engine(chain, tmp_path, vllm_serving):
    """The session engine answers at most 64 tokens: a long story is cut off, so its row fails
    unless truncated answers are accepted, and then it is kept and counted."""
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "Tell me a very long story."}])
    out = tmp_path / "out.jsonl"
    prompt = "Write at least three paragraphs. "
    strict = PromptedGenerator(vllm_serving, user_prompt=prompt)
    result = await chain([(strict, {"input_key": "text"})], entry_file=src).arun(
        output=out, max_failed_fraction=1.0
    )
    (letter,) = result.dead_letters.records()
    assert letter.error.startswith("answer cut off at max_tokens=64")
    lenient = PromptedGenerator(vllm_serving, user_prompt=prompt, accept_truncated=True)
    result = await chain([(lenient, {"input_key": "text"})], entry_file=src).arun(output=out)
    (row,) = read_jsonl(out)
    assert row["generated_content"].strip() and result.stats.operators[0].truncated == 1
