"""Expensive async stages keep their serving's admission limit busy across batch boundaries
(issue 20): one slow call per batch must not leave places idle while rows remain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import Chain, read_jsonl, write_jsonl

from streamflow.actors.actor import BoundOp, Window, window_for
from streamflow.channels.stats import OperatorStats
from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.base import Completion, LLMRequestError, Message, SamplingParams
from streamflow.testing import ScriptedServing

LIMIT = 4
BATCH = 8
ROWS = 12 * BATCH


class OneSlowPerBatch(ScriptedServing):
    """Answers after ``fast`` seconds, but the first row of every batch takes ``slow``; fails
    rows whose number is in ``fail``. At each call's end it notes how many other requests are
    under way or waiting for a place (made and not finished), and how many were not made yet."""

    def __init__(self, *, slow: float, fast: float, fail: frozenset[int] = frozenset()) -> None:
        super().__init__(max_in_flight=LIMIT)
        self.slow, self.fast, self.fail = slow, fast, fail
        self.made = self.finished = 0
        self.at_each_end: list[tuple[int, int]] = []  # (other requests made, requests not made)

    async def complete(self, *args: Any, **kwargs: Any) -> Completion:
        self.made += 1
        try:
            return await super().complete(*args, **kwargs)
        finally:
            self.finished += 1

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        import anyio

        n = int(str(messages[-1]["content"]).rsplit(" ", 1)[-1])
        await anyio.sleep(self.slow if n % BATCH == 0 else self.fast)
        self.at_each_end.append((self.made - self.finished - 1, ROWS - self.made))
        if n in self.fail:
            raise LLMRequestError(f"row {n} refused")
        return Completion([f"answer {n}"])


def run(tmp_path, serving: OneSlowPerBatch, **options: Any) -> list[dict]:
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    out = tmp_path / "out.jsonl"
    op = PromptedGenerator(serving, user_prompt="")
    result = Chain(
        [(op, {"input_key": "text", "output_key": "answer"})],
        first_entry_file_name=str(src),
        output_file=str(out),
    ).run(batch_size=BATCH, **options)
    assert result.stats.failed == len(serving.fail)
    return read_jsonl(out)


def test_places_stay_busy_while_a_batch_waits_on_its_slow_row(tmp_path) -> None:
    serving = OneSlowPerBatch(slow=0.1, fast=0.01)
    rows = run(tmp_path, serving)
    assert [r["text"] for r in rows] == [f"row {i}" for i in range(ROWS)]  # input order kept
    assert [r["answer"] for r in rows] == [f"answer {i}" for i in range(ROWS)]
    # a place freed while rows remain is taken at once: the others fill the limit and more wait
    idle = [(other, left) for other, left in serving.at_each_end if left and other < LIMIT]
    assert not idle, f"{len(idle)} places freed with nothing waiting while rows remained"
    assert serving.peak_in_flight == LIMIT


def test_unordered_runs_keep_places_busy_and_lose_nothing(tmp_path) -> None:
    serving = OneSlowPerBatch(slow=0.1, fast=0.01)
    rows = run(tmp_path, serving, ordered=False)
    assert sorted(r["answer"] for r in rows) == sorted(f"answer {i}" for i in range(ROWS))
    assert not [1 for other, left in serving.at_each_end if left and other < LIMIT]


def test_failed_rows_are_dead_letters_and_the_rest_keep_their_order(tmp_path) -> None:
    fail = frozenset({3, 8, 50})  # 8 is also a slow row
    serving = OneSlowPerBatch(slow=0.05, fast=0.01, fail=fail)
    rows = run(tmp_path, serving)
    assert [r["text"] for r in rows] == [f"row {i}" for i in range(ROWS) if i not in fail]


def test_the_window_follows_the_serving_and_a_chosen_worker_count_wins() -> None:
    def window(op: Any, batch_size: int) -> Window | None:
        return window_for([BoundOp(op, {}, OperatorStats("s", op.kind))], batch_size)

    # chunks of a quarter of the limit, eight rows under way per place
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=32)), 256) == Window(8, 32)
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=256)), 32) == Window(32, 64)
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=4)), 1) == Window(1, 32)
    chosen = PromptedGenerator(ScriptedServing(max_in_flight=32)).options(workers=1)
    assert window(chosen, 256) is None


@pytest.mark.parametrize("kind", ["sync", "cheap"])
def test_other_stages_keep_their_worker_count(kind: str) -> None:
    from streamflow import Generator

    class Sync(Generator):
        expensive = True
        llm_serving = ScriptedServing()

        def process(self, rows: list[dict]) -> list[dict]:
            return rows

    class Cheap(Generator):
        llm_serving = ScriptedServing()

        async def process(self, rows: list[dict]) -> list[dict]:
            return rows

    op = Sync() if kind == "sync" else Cheap()
    assert window_for([BoundOp(op, {}, OperatorStats("s", op.kind))], 8) is None


RESUMABLE = '''
import os
import anyio
from streamflow import FileStorage, Pipeline
from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.base import Completion, LLMRequestError
from streamflow.testing import ScriptedServing


class Logged(ScriptedServing):
    """Logs every request; row 0 of each 10 is slow, rows 13, 14 (mod 100) are refused."""

    async def _complete(self, messages, json_schema, params):
        n = int(messages[-1]["content"].rsplit(" ", 1)[-1])
        with open("calls.txt", "a") as log:
            log.write(f"{n}\\n")
        await anyio.sleep(0.2 if n % 10 == 0 else 0.02)
        if n % 100 in (13, 14):
            raise LLMRequestError(f"row {n} refused")
        return Completion([f"answer {n}"])


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.ask = PromptedGenerator(Logged(max_in_flight=8), user_prompt="")

    def forward(self):
        self.ask.run(self.storage.step(), input_key="text", output_key="answer")
'''


def test_kill_and_resume_of_a_windowed_stage_is_exact(tmp_path) -> None:
    import json
    import signal
    import subprocess
    import sys
    import time

    n = 600
    command = [sys.executable, "-m", "streamflow", "run", "job.py", "--run-dir", "rd"]
    command += ["--batch-size", "16", "--checkpoint-interval", "0.05", "--no-progress"]
    for name in ("whole", "killed"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "job.py").write_text(RESUMABLE)
        write_jsonl(tmp_path / name / "in.jsonl", [{"text": f"row {i}"} for i in range(n)])
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(command, cwd=whole, check=True, capture_output=True, timeout=120)
    for after in (1.5, 1.0):  # interpreter start-up is ~0.5 s; the run takes ~3.5 s
        proc = subprocess.Popen(command + (["--resume"] if after < 1.5 else []), cwd=killed)
        time.sleep(after)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the run ended before it was killed"
    done = subprocess.run([*command, "--resume"], cwd=killed, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert read_jsonl(killed / "out.jsonl") == read_jsonl(whole / "out.jsonl")
    assert len(read_jsonl(whole / "out.jsonl")) == n - 12  # 13, 14 of each hundred refused
    calls = (killed / "calls.txt").read_text().split()
    assert set(calls) == {str(i) for i in range(n)}
    # what a kill loses is at most the rows under way: (chunks + 1) x chunk = (16 + 1) x 2
    assert len(calls) <= n + 2 * 34, len(calls)

    def status(cwd: Path) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "streamflow", "status", "rd", "--json"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    assert status(killed)["dead_letters"] == status(whole)["dead_letters"] == 12


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_a_windowed_stage_keeps_the_real_engine_fed(tmp_path, vllm_serving, monkeypatch):
    """On the embedded engine (admission limit 8): rows keep their order, every place freed
    while rows remain is taken at once, and the limit is reached."""
    from streamflow.serving.base import SamplingParams as Params

    rows = 96
    made = finished = 0
    at_each_end: list[tuple[int, int]] = []
    complete = vllm_serving.complete

    async def counted(*args: Any, **kwargs: Any) -> Completion:
        nonlocal made, finished
        made += 1
        try:
            kwargs["params"] = Params(max_tokens=8)
            return await complete(*args, **kwargs)
        finally:
            at_each_end.append((made - finished - 1, rows - made))
            finished += 1

    monkeypatch.setattr(vllm_serving, "complete", counted)
    texts = [f"Say the number {i}." for i in range(rows)]
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in texts])
    # eight tokens cut most answers short: kept, since this test is about the requests
    op = PromptedGenerator(vllm_serving, user_prompt="", accept_truncated=True)
    result = await Chain(
        [(op, {"input_key": "text", "output_key": "answer"})],
        first_entry_file_name=str(src),
        output_file=str(tmp_path / "out.jsonl"),
    ).arun(batch_size=16)
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["text"] for r in out] == texts and result.stats.failed == 0
    limit = vllm_serving.max_in_flight
    assert not [1 for other, left in at_each_end if left and other < limit]
    assert made == rows
