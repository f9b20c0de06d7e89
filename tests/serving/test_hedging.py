"""Hedged requests (:mod:`streamflow.serving.hedging`): a straggling request is copied into an
idle place and the first answer wins; never into a place a request waits for, never past the
budget. Times are chosen by a scripted serving; the last test runs over real HTTP and measures
at the server."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import anyio
import pytest
from fault_server import FaultServer
from helpers import read_jsonl, write_jsonl

from streamflow.channels.stats import OperatorStats
from streamflow.errors import RunStopped
from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.base import (
    Completion,
    LLMRequestError,
    LLMServing,
    Message,
    SamplingParams,
    current_usage,
)
from streamflow.serving.hedging import Hedging
from streamflow.serving.openai_compat import OpenAIServing

pytestmark = pytest.mark.anyio

POLICY = Hedging(after=3.0, budget=1.0, min_samples=8)
"""Copies after 8 requests, three median latencies (30 ms here) into the wait."""

Step = float | tuple[float, Exception]
"""An attempt: seconds before it answers, or seconds before it raises."""


class Timed(LLMServing):
    """Each attempt of a prompt takes the next of its scripted steps (the last repeats); the
    answer names the attempt. Records, as each attempt starts, the requests waiting for a
    place and the places held."""

    model = "timed"

    def __init__(self, script: dict[str, list[Step]], limit: int, hedging: Hedging | None):
        super().__init__(max_in_flight=limit, hedging=hedging)
        self.script = script
        self.attempts: Counter[str] = Counter()
        self.starts: list[tuple[str, int, int, int]] = []

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        prompt = messages[-1]["content"]
        self.attempts[prompt] += 1
        attempt = self.attempts[prompt]
        steps = self.script.get(prompt, [0.01])
        step = steps[min(attempt, len(steps)) - 1]
        admission = self._admission
        self.starts.append((prompt, attempt, admission._waiting, admission.held))
        seconds, error = step if isinstance(step, tuple) else (step, None)
        await anyio.sleep(seconds)
        if error is not None:
            raise error
        return Completion([f"{prompt}#{attempt}"])


async def warmed(script: dict[str, list[Step]], limit: int = 4, hedging=POLICY) -> Timed:
    """A serving that has answered ten quick requests: its median is known, its budget full."""
    serving = Timed(script, limit, hedging)
    for i in range(10):
        await serving.complete(f"warm-{i}")
    return serving


async def test_a_straggler_is_copied_into_an_idle_place_and_the_first_answer_wins() -> None:
    serving = await warmed({"slow": [5.0, 0.01]})
    stats = OperatorStats("step", "generator")
    token = current_usage.set(stats)
    try:
        with anyio.fail_after(2):
            answer = await serving.complete("slow")
    finally:
        current_usage.reset(token)
    assert answer.text == "slow#2"
    assert (stats.requests, stats.hedged) == (1, 1)
    assert serving.attempts["slow"] == 2
    # the first attempt was cancelled: nothing is left in flight or holding a place
    assert serving.in_flight == 0 and serving._admission.held == 0


async def test_no_copy_takes_a_place_a_request_waits_for() -> None:
    script: dict[str, list[Step]] = {"slow": [3.0, 0.01], **{f"q{i}": [0.05] for i in range(20)}}
    serving = await warmed(script, limit=2)
    started = time.monotonic()
    answers: dict[str, str] = {}

    async def ask(prompt: str) -> None:
        answers[prompt] = (await serving.complete(prompt)).text

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "slow")
        await anyio.sleep(0.001)
        for i in range(20):
            tg.start_soon(ask, f"q{i}")
    assert answers["slow"] == "slow#2"
    assert time.monotonic() - started < 2.5  # the copy ran once the queue was empty
    starts = serving.starts[10:]
    copy = next(i for i, s in enumerate(starts) if s[:2] == ("slow", 2))
    assert copy > max(i for i, s in enumerate(starts) if s[0].startswith("q"))
    assert starts[copy][2] == 0  # no request was waiting when the copy took its place
    assert max(held for *_, held in serving.starts) <= 2


async def test_the_budget_bounds_the_copies() -> None:
    script: dict[str, list[Step]] = {f"s{i}": [1.0, 0.01] for i in range(8)}
    serving = Timed(script, 16, Hedging(after=3.0, budget=0.1, min_samples=8))
    for i in range(30):  # thirty finished requests earn three copies
        await serving.complete(f"warm-{i}")
    async with anyio.create_task_group() as tg:
        for i in range(8):
            tg.start_soon(serving.complete, f"s{i}")
    hedger = serving._hedger
    assert hedger is not None
    assert hedger.sent == hedger.won == 3
    assert sorted(serving.attempts[f"s{i}"] for i in range(8)) == [1] * 5 + [2] * 3


async def test_before_the_median_is_known_nothing_is_copied() -> None:
    serving = Timed({"slow": [0.3, 0.01]}, 4, POLICY)
    assert (await serving.complete("slow")).text == "slow#1"
    assert serving.attempts["slow"] == 1


async def test_without_hedging_a_straggler_is_waited_for() -> None:
    serving = await warmed({"slow": [0.3, 0.01]}, hedging=None)
    assert (await serving.complete("slow")).text == "slow#1"
    assert serving.attempts["slow"] == 1


async def test_a_failed_attempt_leaves_the_answer_to_the_other() -> None:
    boom = LLMRequestError("boom")
    serving = await warmed({"x": [(0.3, boom), 0.5]})
    with anyio.fail_after(2):
        assert (await serving.complete("x")).text == "x#2"


async def test_when_both_attempts_fail_the_first_error_is_raised() -> None:
    first, second = LLMRequestError("copy failed"), LLMRequestError("first attempt failed")
    serving = await warmed({"x": [(0.3, second), (0.05, first)]})
    with pytest.raises(LLMRequestError, match="copy failed"):
        await serving.complete("x")
    assert serving.in_flight == 0 and serving._admission.held == 0


async def test_a_failure_before_any_copy_is_raised_at_once() -> None:
    serving = await warmed({"x": [(0.0, LLMRequestError("bad request")), 0.01]})
    with pytest.raises(LLMRequestError, match="bad request"):
        await serving.complete("x")
    assert serving.attempts["x"] == 1


async def test_a_copy_that_stops_the_run_stops_the_request() -> None:
    serving = await warmed({"x": [5.0, (0.0, RunStopped("server paused"))]})
    with anyio.fail_after(2), pytest.raises(RunStopped, match="server paused"):
        await serving.complete("x")
    assert serving.in_flight == 0 and serving._admission.held == 0


def test_a_policy_must_make_sense() -> None:
    for bad in (dict(after=0), dict(budget=0), dict(budget=1.5), dict(min_samples=0)):
        with pytest.raises(ValueError, match="Hedging needs"):
            Hedging(**bad)  # type: ignore[arg-type]


async def test_the_last_row_hanging_at_the_server_is_copied_over_http(chain, tmp_path) -> None:
    """Real HTTP: the pipeline's last row hangs at the server on its first attempt. The copy
    answers; the server sees the hanging attempt cancelled as the copy's answer arrives; the
    step's statistics count the copy."""
    n = 80
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row-{i}"} for i in range(n)])
    out = tmp_path / "out.jsonl"
    async with FaultServer({f"row-{n - 1}": ["hang", "ok"]}, latency=0.01, hang=30) as server:
        llm = OpenAIServing(base_url=server.base_url, max_concurrency=4, timeout=60)
        op = PromptedGenerator(llm, user_prompt="", system_prompt="")
        steps = [(op, {"input_key": "text", "output_key": "answer"})]
        with anyio.fail_after(20):
            result = await chain(steps, entry_file=src, output_file=out).arun(batch_size=10)
    rows = read_jsonl(out)
    assert [r["text"] for r in rows] == [f"row-{i}" for i in range(n)]
    assert rows[-1]["answer"] == f"answer: row-{n - 1}"
    hung, copy = server.of(f"row-{n - 1}")
    assert (hung.action, copy.action) == ("hang", "ok")
    assert hung.done is not None and copy.done is not None
    assert hung.done - copy.done < 1.0  # cancelled at once, not held for 30 s
    step = next(s for s in result.stats.steps if s.name == op.name)
    assert (step.requests, step.hedged) == (n, 1)


@pytest.mark.slow
async def test_copies_against_vllm_serve_answer_and_cancel_cleanly(vllm_server: str) -> None:
    """The real engine behind ``vllm serve``: with a policy that copies anything out longer
    than a fifth of the median, copies are sent and cancelled, every answer is right, each
    request's usage is counted once, and the client and server go on working."""
    policy = Hedging(after=0.2, budget=1.0, min_samples=4)
    params = SamplingParams(max_tokens=16)
    question = "What is the capital of France? Answer in one word."
    async with OpenAIServing(
        base_url=vllm_server, max_concurrency=4, timeout=120, hedging=policy, params=params
    ) as serving:
        for _ in range(4):
            await serving.complete(question)
        stats = OperatorStats("step", "generator")
        token = current_usage.set(stats)
        try:
            answers: list[str] = []

            async def ask() -> None:
                answers.append((await serving.complete(question)).text)

            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(ask)
        finally:
            current_usage.reset(token)
        after = await serving.complete(question)
    hedger = serving._hedger
    assert hedger is not None and hedger.sent >= 1
    assert stats.requests == 3 and 1 <= stats.hedged <= 3
    assert all("Paris" in a for a in [*answers, after.text]), answers
    assert serving.in_flight == 0 and serving._admission.held == 0
