"""Expensive async stages keep their serving's admission limit busy across batch boundaries
(issue 20): one slow call per batch must not leave places idle while rows remain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import (
    Chain,
    killed_twice_then_resumed,
    read_jsonl,
    resumable_command,
    run_streamflow,
    write_jsonl,
)

from streamflow.actors.actor import Actor, BoundOp, FailurePolicy, Recorder, Window, window_for
from streamflow.actors.base import Generator
from streamflow.channels.stats import OperatorStats
from streamflow.operators.core_text import PromptedGenerator
from streamflow.rows import Row
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


def run(
    tmp_path, serving: OneSlowPerBatch, run_dir: Path | None = None, **options: Any
) -> list[dict]:
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    out = tmp_path / "out.jsonl"
    op = PromptedGenerator(serving, user_prompt="")
    result = Chain(
        [(op, {"input_key": "text", "output_key": "answer"})],
        first_entry_file_name=str(src),
        output_file=str(out),
        **({"run_dir": str(run_dir)} if run_dir else {}),
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


def test_checkpoints_of_unordered_runs_do_not_drain_the_window(tmp_path) -> None:
    """A barrier every 10 ms in an unordered run: the chunks after it keep starting while the
    chunks before it finish (only their emission waits), so no place idles while rows remain;
    and every row is written once. Counted once the window has started (two places' worth of
    calls made): a checkpoint every 10 ms fsyncs the run store, which can hold up the first
    chunks' stored-results lookups longer than a 10 ms call."""
    serving = OneSlowPerBatch(slow=0.1, fast=0.01)
    rows = run(tmp_path, serving, tmp_path / "rd", ordered=False, checkpoint_interval=0.01)
    assert sorted(r["answer"] for r in rows) == sorted(f"answer {i}" for i in range(ROWS))
    started = ROWS - 2 * LIMIT
    idle = [
        (other, left) for other, left in serving.at_each_end if started > left > 0 and other < LIMIT
    ]
    assert not idle, f"{len(idle)} places freed with nothing waiting while rows remained"


def test_failed_rows_are_dead_letters_and_the_rest_keep_their_order(tmp_path) -> None:
    fail = frozenset({3, 8, 50})  # 8 is also a slow row
    serving = OneSlowPerBatch(slow=0.05, fast=0.01, fail=fail)
    rows = run(tmp_path, serving)
    assert [r["text"] for r in rows] == [f"row {i}" for i in range(ROWS) if i not in fail]


def test_the_window_follows_the_serving_and_a_chosen_worker_count_wins() -> None:
    def window(op: Any, batch_size: int) -> Window | None:
        return window_for([BoundOp(op, {}, OperatorStats("s", op.kind))], batch_size)

    # chunks of a sixteenth of the limit, eight rows under way per place
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=32)), 256) == Window(2, 128)
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=256)), 8) == Window(8, 256)
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=256)), 32) == Window(16, 128)
    assert window(PromptedGenerator(ScriptedServing(max_in_flight=4)), 1) == Window(1, 32)
    chosen = PromptedGenerator(ScriptedServing(max_in_flight=32)).options(workers=1)
    assert window(chosen, 256) is None


def test_any_operator_that_declares_what_it_waits_on_is_windowed() -> None:
    """The window reads one thing, ``admission_limit``: a sandbox, a database pool or a
    serving. A step that asks for larger chunks gets them, twice the limit's under way."""
    from streamflow import Generator

    class Declared(Generator):
        expensive = True

        def __init__(self, limit: int | None) -> None:
            self.limit = limit

        @property
        def admission_limit(self) -> int | None:
            return self.limit

        async def process(self, rows: list[dict]) -> list[dict]:
            return rows

    class Coarse(Declared):
        min_window_chunk = 8

    def window(op: Any, batch_size: int) -> Window | None:
        return window_for([BoundOp(op, {}, OperatorStats("s", op.kind))], batch_size)

    assert window(Declared(32), 256) == Window(2, 128)  # as an LLM step's of the same limit
    assert window(Declared(None), 256) is None
    assert window(Declared(0), 256) is None
    assert window(Coarse(8), 256) == Window(8, 16)  # twice the limit: 8 slow chunks at worst
    assert window(Coarse(2), 256) == Window(8, 4)
    assert window(Coarse(8), 4) == Window(4, 16)  # never more than a batch
    assert window(Coarse(8), 1) == Window(1, 64)  # batches of one: the plain window
    assert window(Coarse(256), 256) == Window(16, 128)  # the limit's own chunk is larger
    assert window(Declared(8).options(workers=2), 256) is None


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

    n = 600
    whole, killed = killed_twice_then_resumed(tmp_path, RESUMABLE, n, resumable_command(16))
    assert read_jsonl(killed / "out.jsonl") == read_jsonl(whole / "out.jsonl")
    assert len(read_jsonl(whole / "out.jsonl")) == n - 12  # 13, 14 of each hundred refused
    calls = (killed / "calls.txt").read_text().split()
    assert set(calls) == {str(i) for i in range(n)}
    # what a kill loses is at most the rows under way: chunks x chunk = 64 x 1
    assert len(calls) <= n + 2 * 64, len(calls)

    def status(cwd: Path) -> dict:
        out = run_streamflow("status", "rd", "--json", cwd=cwd)
        assert out.returncode == 0, out.stderr
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


class Steps(ScriptedServing):
    """Answers step ``k``'s prompt ``"s{k} row {n}"`` after ``fast`` seconds, but row ``SLOW``'s
    first-step call takes ``slow``; logs each call's start and end as (event, step, row)."""

    SLOW = 5
    SLOW_STEP = 1

    def __init__(
        self,
        *,
        slow: float,
        fast: float,
        fail: frozenset[tuple[int, int]] = frozenset(),
        limit: int = LIMIT,
    ):
        super().__init__(max_in_flight=limit)
        self.slow, self.fast, self.fail = slow, fast, fail
        self.log: list[tuple[str, int, int]] = []

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        import anyio

        words = str(messages[-1]["content"]).split()
        step, n = int(words[0][1:]), int(words[-1])
        self.log.append(("start", step, n))
        await self.held(step, n)
        await anyio.sleep(self.slow if (step, n) == (self.SLOW_STEP, self.SLOW) else self.fast)
        self.log.append(("end", step, n))
        if (step, n) in self.fail:
            raise LLMRequestError(f"row {n} refused at step {step}")
        return Completion([f"s{step} row {n}" if step < 3 else f"answer {n}"])

    async def held(self, step: int, n: int) -> None:
        """Where a test holds a call back before it is answered (not here)."""


def three_steps(serving: ScriptedServing) -> list[tuple[PromptedGenerator, dict[str, str]]]:
    """Three LLM steps in a row, each reading the one before (as in B6)."""
    reads, writes = ("text", "a", "b"), ("a", "b", "c")
    return [
        (PromptedGenerator(serving, user_prompt=f"s{k} "), {"input_key": r, "output_key": w})
        for k, r, w in zip((1, 2, 3), reads, writes, strict=True)
    ]


def test_later_steps_never_wait_for_an_earlier_steps_straggler(tmp_path) -> None:
    """Row 5's first call is 20x slower than the others: the second step's calls of the rows
    behind it are made before it is answered (rows pass between the steps in completion
    order), and the output still holds every row in input order."""
    serving = Steps(slow=0.4, fast=0.02)
    rows = [{"text": f"row {i}"} for i in range(ROWS)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    Chain(three_steps(serving), first_entry_file_name=str(src), output_file=str(out)).run(
        batch_size=BATCH
    )
    slow_end = serving.log.index(("end", 1, Steps.SLOW))
    overtaking = {n for event, step, n in serving.log[:slow_end] if step >= 2 and n > Steps.SLOW}
    assert len(overtaking) >= 2 * LIMIT, sorted(overtaking)
    written = read_jsonl(out)
    assert [r["text"] for r in written] == [f"row {i}" for i in range(ROWS)]
    assert [r["c"] for r in written] == [f"answer {i}" for i in range(ROWS)]


class SlowSecondRow(Steps):
    """Row 1's first call is the slow one."""

    SLOW = 1


def test_the_first_row_does_not_wait_on_its_chunk_mates(tmp_path) -> None:
    """Chunks here hold four rows, but the stream's first four go one per chunk: row 0 passes
    all three steps while row 1's first call is still pending, and the output keeps order."""
    serving = SlowSecondRow(slow=0.4, fast=0.02, limit=64)
    first = three_steps(serving)[0][0]
    assert window_for([BoundOp(first, {}, OperatorStats("s", first.kind))], BATCH) == Window(4, 128)
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    out = tmp_path / "out.jsonl"
    Chain(three_steps(serving), first_entry_file_name=str(src), output_file=str(out)).run(
        batch_size=BATCH
    )
    log = serving.log
    assert log.index(("end", 3, 0)) < log.index(("end", 1, 1))
    assert [r["c"] for r in read_jsonl(out)] == [f"answer {i}" for i in range(ROWS)]


class SlowLastRowSecondStep(Steps):
    """The last row's second-step call is the slow one; the last chunk's first calls are
    answered only once row 0 is through (rows have left: the stage drains from then on)."""

    SLOW = ROWS - 1
    SLOW_STEP = 2

    async def held(self, step: int, n: int) -> None:
        import anyio

        if step == 1 and n >= ROWS - 4:
            while ("end", 3, 0) not in self.log:
                await anyio.sleep(0.01)
            await anyio.sleep(0.1)  # row 0 emitted meanwhile


def test_in_the_drain_a_chunk_goes_on_row_by_row(tmp_path) -> None:
    """Once the input has ended and rows have left, the last chunk (four rows here) goes on
    row by row: its other rows finish the chain while the last row's second call is pending."""
    serving = SlowLastRowSecondStep(slow=0.4, fast=0.02, limit=64)
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    out = tmp_path / "out.jsonl"
    Chain(three_steps(serving), first_entry_file_name=str(src), output_file=str(out)).run(
        batch_size=BATCH
    )
    log = serving.log
    assert log.index(("end", 3, ROWS - 2)) < log.index(("end", 2, ROWS - 1))
    assert [r["c"] for r in read_jsonl(out)] == [f"answer {i}" for i in range(ROWS)]


def test_failed_rows_of_chained_steps_are_dead_letters_in_order(tmp_path) -> None:
    fail = frozenset({(1, 3), (2, Steps.SLOW), (3, 40)})
    serving = Steps(slow=0.2, fast=0.01, fail=fail)
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    out = tmp_path / "out.jsonl"
    result = Chain(three_steps(serving), first_entry_file_name=str(src), output_file=str(out)).run(
        batch_size=BATCH
    )
    gone = {n for _, n in fail}
    assert [r["text"] for r in read_jsonl(out)] == [
        f"row {i}" for i in range(ROWS) if i not in gone
    ]
    letters = sorted((d.operator, (d.row or {})["text"]) for d in result.dead_letters.records())
    assert letters == [
        ("PromptedGenerator", "row 3"),
        ("PromptedGenerator#2", f"row {Steps.SLOW}"),
        ("PromptedGenerator#3", "row 40"),
    ]
    # a row failed at one step is not asked at the next
    assert not [1 for event, step, n in serving.log if (step, n) in {(2, 3), (3, Steps.SLOW)}]


def test_consecutive_windowed_steps_share_one_chained_stage() -> None:
    from streamflow.actors.actor import stages
    from streamflow.operators.reasoning import ReasoningQuestionGenerator

    def bound(op: Any, i: int, writes: str, depends: tuple[int, ...]) -> BoundOp:
        return BoundOp(op, {}, OperatorStats(f"s{i}", op.kind), None, i, (writes,), depends)

    serving = ScriptedServing(max_in_flight=8)
    ask = [PromptedGenerator(serving) for _ in range(4)]
    # a chain: each reads the one before
    chain = [bound(op, i, f"f{i}", (i - 1,) if i else ()) for i, op in enumerate(ask[:3])]
    assert [[b.stats.name for b in s] for s in stages(chain, fuse=True)] == [["s0", "s1", "s2"]]
    # nothing is chained where steps have places (the Ray executor's pools)
    assert len(stages(chain, fuse=True, where=lambda b: "here")) == 3
    # independent ones still run side by side; a dependent one after them stands apart
    side = [bound(ask[0], 0, "a", ()), bound(ask[1], 1, "b", ()), bound(ask[2], 2, "c", (0, 1))]
    assert [len(s) for s in stages(side, fuse=True)] == [2, 1]
    # a chosen worker count keeps a step out of the window, and so out of the chain
    chosen = PromptedGenerator(serving).options(workers=2)
    mixed = [chain[0], bound(chosen, 1, "f1", (0,)), bound(ask[3], 2, "f2", (1,))]
    assert [len(s) for s in stages(mixed, fuse=True)] == [1, 1, 1]
    # a row generator ends the chain: the next stage cuts the rows it made into chunks again
    questions = ReasoningQuestionGenerator(num_prompts=3, llm_serving=serving)
    grown = [chain[0], bound(questions, 1, "instruction", (0,)), bound(ask[3], 2, "f2", (1,))]
    assert [len(s) for s in stages(grown, fuse=True)] == [2, 1]
    # an LLM step never runs beside a cheap async step with no admission limit: it would lose
    # its window in their one-batch-at-a-time stage (B11's prompt builder and CoT generator)
    cheap = bound(Stamp(), 0, "stamp", ())
    beside = [cheap, bound(ask[0], 1, "a", ())]
    assert [len(s) for s in stages(beside, fuse=True)] == [1, 1]
    assert Actor([beside[1]], Recorder(_noop, _noop), FailurePolicy(), 32).window is not None


class Stamp(Generator):
    """A cheap async step that declares no admission limit."""

    async def process(self, rows: list[Row], output_key: str = "stamp") -> list[Row]:
        return [{**row, output_key: "x"} for row in rows]


async def _noop(records: Any) -> None:
    return None


CHAINED = '''
import anyio
from streamflow import FileStorage, Pipeline
from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.base import Completion, LLMRequestError
from streamflow.testing import ScriptedServing


class Logged(ScriptedServing):
    """Logs every request as "step row"; row 0 of each 10 is slow at step 1, rows 13 (mod 100)
    are refused at step 1 and rows 14 (mod 100) at step 2."""

    async def _complete(self, messages, json_schema, params):
        words = messages[-1]["content"].split()
        step, n = int(words[0][1:]), int(words[-1])
        with open("calls.txt", "a") as log:
            log.write(f"{step}:{n}\\n")
        await anyio.sleep(0.2 if n % 10 == 0 and step == 1 else 0.02)
        if (step, n % 100) in ((1, 13), (2, 14)):
            raise LLMRequestError(f"row {n} refused")
        return Completion([f"s{step} answer {n}"])


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        serving = Logged(max_in_flight=8)
        self.first = PromptedGenerator(serving, user_prompt="s1 ")
        self.second = PromptedGenerator(serving, user_prompt="s2 ")

    def forward(self):
        self.first.run(self.storage.step(), input_key="text", output_key="a")
        self.second.run(self.storage.step(), input_key="a", output_key="b")
'''


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_kill_and_resume_of_chained_steps_is_exact(tmp_path, ordered: bool) -> None:
    """Two chained LLM steps, rows passing between them out of order: killed twice and
    resumed, the output equals an uninterrupted run's (in input order, or the same rows once
    each in an unordered run), and the calls made again are bounded by the rows under way in
    the window when each kill came."""

    from streamflow.actors.actor import Actor, FailurePolicy, Recorder

    n = 600
    command = resumable_command(16) + ([] if ordered else ["--unordered"])
    whole, killed = killed_twice_then_resumed(tmp_path, CHAINED, n, command)
    out, expected_out = read_jsonl(killed / "out.jsonl"), read_jsonl(whole / "out.jsonl")
    if not ordered:
        out, expected_out = (
            sorted(rows, key=lambda r: int(r["text"][4:])) for rows in (out, expected_out)
        )
    assert out == expected_out
    assert [r["text"] for r in out] == [
        f"row {i}" for i in range(n) if i % 100 not in (13, 14)
    ]  # input order, refused rows left out
    calls = (killed / "calls.txt").read_text().split()
    expected = {f"1:{i}" for i in range(n)} | {f"2:{i}" for i in range(n) if i % 100 != 13}
    assert set(calls) == expected
    # a kill loses only the calls under way: one chunk per worker, whichever step it is at
    serving = ScriptedServing(max_in_flight=8)
    ops = [PromptedGenerator(serving), PromptedGenerator(serving)]
    bound = [
        BoundOp(op, {}, OperatorStats(f"s{i}", op.kind), None, i, (f"f{i}",), (0,) if i else ())
        for i, op in enumerate(ops)
    ]
    actor = Actor(bound, Recorder(_unused, _unused), FailurePolicy(), batch_size=16)
    assert actor.chained and actor.window is not None
    under_way = actor.workers * actor.window.chunk
    assert len(calls) <= len(expected) + 2 * under_way, (len(calls), under_way)


async def _unused(records: list[Any]) -> None:
    raise AssertionError("not called")


def test_a_cheap_stateless_step_between_llm_steps_rides_in_the_chain(tmp_path) -> None:
    """LLM step, a rule filter, LLM step: the filter joins the chained stage (it keeps no state,
    so completion order changes nothing it does); the second LLM step still overtakes the
    first step's straggler, the dropped rows are logged, and the output keeps input order."""
    from streamflow import Filter
    from streamflow.actors.actor import stages

    class DropMultiplesOfSeven(Filter):
        def process(self, rows: list[dict], input_key: str) -> list[tuple[bool, str]]:
            return [(int(r[input_key].split()[-1]) % 7 != 0, "multiple of 7") for r in rows]

    serving = Steps(slow=0.4, fast=0.02)
    first, third = three_steps(serving)[0], three_steps(serving)[1]
    steps = [first, (DropMultiplesOfSeven(), {"input_key": "a"}), third]
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    out = tmp_path / "out.jsonl"
    pipeline = Chain(steps, first_entry_file_name=str(src), output_file=str(out))
    result = pipeline.run(batch_size=BATCH)
    plan = pipeline.compile()
    bound = [
        BoundOp(
            s.op, s.keys, OperatorStats(s.label, s.op.kind), None, s.index, s.writes, s.depends_on
        )
        for s in plan.steps
    ]
    assert [len(stage) for stage in stages(bound, fuse=True)] == [3]
    slow_end = serving.log.index(("end", 1, Steps.SLOW))
    overtaking = {n for event, step, n in serving.log[:slow_end] if step == 2 and n > Steps.SLOW}
    assert len(overtaking) >= 2 * LIMIT, sorted(overtaking)
    kept = [i for i in range(ROWS) if i % 7]
    assert [r["text"] for r in read_jsonl(out)] == [f"row {i}" for i in kept]
    assert not [1 for event, step, n in serving.log if step == 2 and n % 7 == 0]
    filtered = result.stats.operators[1]
    assert (filtered.rows_in, filtered.dropped) == (ROWS, ROWS - len(kept))


def test_a_stateful_step_ends_the_chain() -> None:
    """A stateful step (dedup keeps the first row that claims a key) must see input order: it
    never joins a chained stage, even after a cheap step that did."""
    from streamflow import Filter
    from streamflow.actors.actor import stages

    class Cheap(Filter):
        def process(self, rows: list[dict]) -> list[bool]:
            return [True] * len(rows)

    class Stateful(Cheap):
        stateful = True

    serving = ScriptedServing(max_in_flight=8)
    ops = [PromptedGenerator(serving), Cheap(), Stateful(), PromptedGenerator(serving), Cheap()]
    bound = [
        BoundOp(op, {}, OperatorStats(f"s{i}", op.kind), None, i, (f"f{i}",), (i - 1,) if i else ())
        for i, op in enumerate(ops)
    ]
    grouped = [[b.stats.name for b in s] for s in stages(bound, fuse=True)]
    assert grouped == [["s0", "s1"], ["s2"], ["s3", "s4"]]


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_chained_steps_on_the_real_engine_keep_order(tmp_path, vllm_serving, monkeypatch):
    """Two chained LLM steps on the embedded engine: every row asked at both steps, in one
    chained stage, and the output in input order."""
    from streamflow.serving.base import SamplingParams as Params

    rows = 48
    asked: list[str] = []  # one entry per request
    complete = vllm_serving.complete

    async def short(*args: Any, **kwargs: Any) -> Completion:
        asked.append("")
        kwargs["params"] = Params(max_tokens=8)
        return await complete(*args, **kwargs)

    monkeypatch.setattr(vllm_serving, "complete", short)
    texts = [f"Say the number {i}." for i in range(rows)]
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in texts])
    steps = [
        (
            PromptedGenerator(vllm_serving, user_prompt=prompt, accept_truncated=True),
            {"input_key": read, "output_key": write},
        )
        for prompt, read, write in (("s1 ", "text", "a"), ("s2 ", "a", "b"))
    ]
    pipeline = Chain(steps, first_entry_file_name=str(src), output_file=str(tmp_path / "o.jsonl"))
    result = await pipeline.arun(batch_size=16)
    out = read_jsonl(tmp_path / "o.jsonl")
    assert [r["text"] for r in out] == texts and result.stats.failed == 0
    assert all(r["a"] and r["b"] for r in out)
    assert len(asked) == 2 * rows


def test_in_the_run_s_drain_earlier_steps_go_first() -> None:
    """Later steps first while rows flow in; earlier steps first once the source has ended
    and rows have reached the sink (the run's drain), in every stage, chained or not."""
    from streamflow.actors.actor import Actor, Drain, FailurePolicy, Recorder

    serving = ScriptedServing(max_in_flight=8)
    ops = [
        BoundOp(op, {}, OperatorStats(f"s{i}", op.kind), None, i)
        for i, op in enumerate(PromptedGenerator(serving) for _ in range(2))
    ]
    drain = Drain()
    actor = Actor(
        ops, Recorder(_unused, _unused), FailurePolicy(), batch_size=8, drain=drain, last=True
    )
    assert [actor._priority(k) for k in (0, 1)] == [0, 1]
    drain.source_ended = True
    assert [actor._priority(k) for k in (0, 1)] == [0, 1]  # no row out yet: the first row's turn
    drain.rows_out = True
    assert [actor._priority(k) for k in (0, 1)] == [0, -1]
