"""ReasoningPseudoAnswerGenerator: k samples in ONE request, majority answer and agreement."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from aiohttp import web
from helpers import read_jsonl, write_jsonl

from streamflow.operators.reasoning.pseudo_answer_generator import ReasoningPseudoAnswerGenerator
from streamflow.serving.base import SamplingParams
from streamflow.serving.openai_compat import OpenAIServing
from streamflow.testing import ScriptedServing, apply


def samples(prompt: str) -> list[str]:
    if "hard" in prompt:
        return ["I give up", "no idea", "hmm"]
    return ["so \\boxed{4}", "so \\boxed{5}", "so \\boxed{4.0}"]


SAMPLED = SamplingParams(temperature=0.7)
"""Samples that differ need a temperature above 0 (at 0 one answer stands for all)."""


def test_majority_answer_and_its_agreement() -> None:
    serving = ScriptedServing(samples, params=SAMPLED)
    op = ReasoningPseudoAnswerGenerator(serving, max_times=3)
    out = apply(op, [{"instruction": "2+2?"}, {"instruction": "hard"}, {"instruction": ""}])
    row = out.batch.rows[0]
    assert row["pseudo_answers"] == ["4", "5", "4"]  # 4.0 normalises to 4
    assert row["pseudo_answer_value"] == "4"
    assert row["pseudo_solutions"] == ["so \\boxed{4}", "so \\boxed{4.0}"]
    assert row["pseudo_correct_solution_example"] == "so \\boxed{4}"
    assert row["pseudo_answer_agreement"] == pytest.approx(2 / 3)
    reasons = sorted(reason for _, _, reason in out.failed)
    assert reasons == [
        "empty question in 'instruction'",
        "none of the 3 sampled solutions has a final answer",
    ]
    assert len(serving.requests) == 2  # one request per question, whatever max_times is
    assert [p.n for p in serving.params_seen] == [3, 3]


def test_a_serving_that_returns_too_few_samples_fails_the_row() -> None:
    class Short(ScriptedServing):
        async def _complete(self, messages, json_schema, params):
            completion = await super()._complete(messages, json_schema, SamplingParams(n=1))
            return completion

    out = apply(
        ReasoningPseudoAnswerGenerator(Short(lambda p: "\\boxed{1}", params=SAMPLED), max_times=4),
        [{"instruction": "q"}],
    )
    assert out.failed[0][2] == "asked for 4 samples, the serving returned 1"


def test_a_sample_cut_off_at_max_tokens_fails_the_row_unless_accepted() -> None:
    serving = ScriptedServing(samples, cut_off=lambda text: "5" in text, params=SAMPLED)
    out = apply(ReasoningPseudoAnswerGenerator(serving, max_times=3), [{"instruction": "2+2?"}])
    assert out.failed[0][2].startswith("1 of 3 sampled answers cut off at max_tokens=")
    op = ReasoningPseudoAnswerGenerator(serving, max_times=3).accept_truncated_answers()
    assert apply(op, [{"instruction": "2+2?"}]).batch.rows[0]["pseudo_answer_value"] == "4"


# -- one request per row at an OpenAI-compatible server --------------------------------------


@asynccontextmanager
async def sampling_server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback chat server that answers ``n`` distinct samples per request and records
    every request body."""
    bodies: list[dict[str, Any]] = []

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        bodies.append(body)
        n = int(body.get("n", 1))
        choices = [
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": f"step... \\boxed{{{7 if i % 4 else 8}}}",
                },
                "finish_reason": "stop",
            }
            for i in range(n)
        ]
        return web.json_response(
            {"choices": choices, "usage": {"prompt_tokens": 20, "completion_tokens": 5 * n}}
        )

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "sampler"}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/v1", bodies
    finally:
        await runner.cleanup()


def test_k8_samples_are_one_request_per_row_at_an_openai_server(chain, tmp_path) -> None:
    rows = [{"instruction": f"question {i}"} for i in range(6)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"

    async def main() -> list[dict[str, Any]]:
        async with sampling_server() as (base_url, bodies):
            serving = OpenAIServing(
                "sampler", base_url, params=SamplingParams(temperature=0.8, max_tokens=64)
            )
            op = ReasoningPseudoAnswerGenerator(serving, max_times=8)
            await chain([(op, {})], entry_file=src, output_file=out).arun(batch_size=4)
            return bodies

    bodies = anyio.run(main)
    assert len(bodies) == len(rows)  # one request per row, not eight
    assert {b["n"] for b in bodies} == {8}
    assert {b["temperature"] for b in bodies} == {0.8}  # the serving's sampling, n replaced
    asked = sorted(json.dumps(b["messages"]) for b in bodies)
    assert len(set(asked)) == len(rows)
    written = read_jsonl(out)
    assert [len(r["pseudo_answers"]) for r in written] == [8] * 6
    assert {r["pseudo_answer_value"] for r in written} == {"7"}
    assert {r["pseudo_answer_agreement"] for r in written} == {0.75}


def test_samples_are_stored_and_replayed_on_resume(chain, tmp_path) -> None:
    """A changed step downstream recomputes; the k-sample step replays without a request."""
    from streamflow.operators.reasoning.answer_extraction import (
        ReasoningAnswerExtractionQwenMathEvalGenerator,
    )

    src = write_jsonl(tmp_path / "in.jsonl", [{"instruction": f"q{i}"} for i in range(10)])
    out = tmp_path / "out.jsonl"
    serving = ScriptedServing(samples, params=SAMPLED)

    def pipeline(dataset: str | None):
        steps = [
            (ReasoningPseudoAnswerGenerator(serving, max_times=3), {}),
            (ReasoningAnswerExtractionQwenMathEvalGenerator(dataset), {}),
        ]
        return chain(steps, entry_file=src, output_file=out, run_dir=tmp_path / "run")

    pipeline(None).run(batch_size=4)
    first = read_jsonl(out)
    assert len(serving.requests) == 10
    pipeline("minerva_math").run(batch_size=4, resume=True)
    assert len(serving.requests) == 10  # every sample replayed from the store
    assert read_jsonl(out) == first
