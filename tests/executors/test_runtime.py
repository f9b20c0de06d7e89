"""The runtime: backpressure, ordering, dead letters, failure limits, cancellation."""

from __future__ import annotations

import random
import time

import anyio
import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import Failure, FailureLimitExceeded, Generator, RunStats

N = 2000


class Tag(Generator):
    def process(self, rows, output_key: str = "tag"):
        return [{**r, output_key: r["n"] * 2} for r in rows]


class SlowAsync(Generator):
    """Sleeps a random time per batch, so concurrent workers finish out of order."""

    def __init__(self, seed: int = 0, max_delay: float = 0.01) -> None:
        self.rng = random.Random(seed)
        self.max_delay = max_delay

    async def process(self, rows, output_key: str = "slow"):
        await anyio.sleep(self.rng.random() * self.max_delay)
        return [{**r, output_key: True} for r in rows]


class RaisesOnMultiplesOf(Generator):
    def __init__(self, k: int) -> None:
        self.k = k

    def process(self, rows, output_key: str = "ok"):
        for r in rows:
            if r["n"] % self.k == 0:
                raise ValueError(f"row {r['n']} is a multiple of {self.k}")
        return [{**r, output_key: True} for r in rows]


@pytest.fixture
def src(tmp_path):
    return write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(N)])


def test_slow_sink_backpressure_bounds_rows_in_flight(chain, tmp_path, src, monkeypatch):
    """A slow sink must stall the source: rows in channels never exceed capacity x batch size."""
    import streamflow.io.sinks as sinks

    opened = sinks.open_sink

    def slow_sink(path, **kw):
        sink = opened(path, **kw)
        write = sink.write

        def slow_write(batch):
            time.sleep(0.002)
            write(batch)

        sink.write = slow_write
        return sink

    monkeypatch.setattr("streamflow.executors.local.open_sink", slow_sink)
    batch_size, capacity = 10, 2
    steps = [(Tag(), {"output_key": f"t{i}"}) for i in range(3)]
    peak_channel_rows = 0
    peak_in_flight = 0

    async def sample(stats: RunStats) -> None:
        nonlocal peak_channel_rows, peak_in_flight
        while True:
            for s in stats.steps[1:]:
                peak_channel_rows = max(peak_channel_rows, s.queue_depth() * batch_size)
            peak_in_flight = max(peak_in_flight, stats.source.rows_out - stats.sink.rows_out)
            await anyio.sleep(0.0005)

    result = chain(steps, entry_file=src, output_file=tmp_path / "o.jsonl").run(
        batch_size=batch_size, capacity=capacity, monitor=sample
    )
    assert result.rows_written == N
    assert 0 < peak_channel_rows <= capacity * batch_size
    # 4 channels of `capacity` batches, plus at most two batches held by each of the 5 tasks
    bound = (4 * capacity + 2 * 5) * batch_size
    assert peak_in_flight <= bound, (peak_in_flight, bound)


@pytest.mark.parametrize("ordered", [True, False])
def test_ordered_and_completion_order(chain, tmp_path, src, ordered):
    op = SlowAsync(seed=1).options(workers=8)
    out = tmp_path / "o.jsonl"
    chain([(op, {})], entry_file=src, output_file=out).run(batch_size=20, ordered=ordered)
    order = [r["n"] for r in read_jsonl(out)]
    assert sorted(order) == list(range(N))
    if ordered:
        assert order == list(range(N))
    else:
        assert order != list(range(N))  # random delays with 8 workers reorder batches


def test_workers_run_concurrently(chain, tmp_path, src):
    """8 workers on a 5 ms-per-batch hook finish far sooner than one worker would."""

    class Sleepy(Generator):
        async def process(self, rows):
            await anyio.sleep(0.005)
            return rows

    started = time.perf_counter()
    chain(
        [(Sleepy().options(workers=8), {})], entry_file=src, output_file=tmp_path / "o.jsonl"
    ).run(batch_size=10)
    serial_time = (N / 10) * 0.005
    assert time.perf_counter() - started < serial_time / 2


def test_a_raising_row_fails_alone(chain, tmp_path, src):
    out = tmp_path / "o.jsonl"
    result = chain([(RaisesOnMultiplesOf(100), {})], entry_file=src, output_file=out).run(
        batch_size=50
    )
    written = [r["n"] for r in read_jsonl(out)]
    assert written == [n for n in range(N) if n % 100]
    letters = result.dead_letters.records()
    assert sorted(d.row["n"] for d in letters) == list(range(0, N, 100))
    assert letters[0].operator == "RaisesOnMultiplesOf"
    assert "ValueError: row 0 is a multiple of 100" in letters[0].error
    assert result.stats.operators[0].failed == N // 100


def test_failure_limit_stops_the_run(chain, tmp_path, src):
    with pytest.raises(FailureLimitExceeded, match=r"RaisesOnMultiplesOf: \d+ of \d+ rows failed"):
        chain([(RaisesOnMultiplesOf(2), {})], entry_file=src, output_file=tmp_path / "o.jsonl").run(
            batch_size=50, max_failed_fraction=0.2
        )


def test_failure_limit_can_be_disabled(chain, tmp_path, src):
    result = chain(
        [(RaisesOnMultiplesOf(2), {})], entry_file=src, output_file=tmp_path / "o.jsonl"
    ).run(batch_size=50, max_failed_fraction=1.0)
    assert result.dead_letters.count == N // 2


def test_bad_source_records_skip_to_dead_letters(chain, tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"n": 1}\n{"n": 2\n{"n": 3}\n')
    out = tmp_path / "o.jsonl"
    result = chain([(Tag(), {})], entry_file=src, output_file=out, on_bad_record="skip").run()
    assert [r["n"] for r in read_jsonl(out)] == [1, 3]
    (letter,) = result.dead_letters.records()
    assert letter.operator == "source" and "line 2" in letter.error
    assert result.stats.source.failed == 1


async def test_cancellation_mid_run_leaves_no_task_and_closes_output(chain, tmp_path, src):
    class Forever(Generator):
        async def process(self, rows):
            await anyio.sleep(3600)
            return rows

    out = tmp_path / "o.jsonl"
    pipeline = chain(
        [(Tag(), {}), (Forever().options(workers=4), {})], entry_file=src, output_file=out
    )
    started = time.perf_counter()
    with anyio.move_on_after(0.3):
        await pipeline.arun(batch_size=10)
    assert time.perf_counter() - started < 2
    assert out.exists() and out.read_bytes() == b""  # sink opened, flushed and closed

    import asyncio

    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []


def test_error_in_hook_of_sink_side_is_raised_plainly(chain, tmp_path, src):
    """A fatal error surfaces as itself, not wrapped in an ExceptionGroup."""
    from streamflow import OperatorContractError

    class Bad(Generator):
        def process(self, rows):
            return None

    with pytest.raises(OperatorContractError):
        chain([(Bad(), {})], entry_file=src, output_file=tmp_path / "o.jsonl").run()


class SlowField(Generator):
    """Adds one field after a fixed delay, like an LLM call."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def process(self, rows, input_key: str, output_key: str):
        await anyio.sleep(self.delay)
        return [
            Failure(f"no {output_key} for {r[input_key]}")
            if r[input_key] == 13
            else {**r, output_key: f"{output_key}({r[input_key]})"}
            for r in rows
        ]


async def test_independent_branches_run_side_by_side(chain):
    from streamflow.actors.actor import stages

    steps = [
        (SlowField(0.2), {"input_key": "n", "output_key": "cn"}),
        (SlowField(0.2), {"input_key": "n", "output_key": "en"}),
        (SlowField(0.2), {"input_key": "cn", "output_key": "back"}),  # depends on the first
    ]
    pipeline = chain(steps)
    async with pipeline.session(source_fields=["n"]) as session:
        started = time.perf_counter()
        await session.send({"n": 1})
        first = await anext(aiter(session))
        latency = time.perf_counter() - started
        await session.send({"n": 13})
        await session.close()
        rest = [r async for r in session]
    assert first.row == {"n": 1, "cn": "cn(1)", "en": "en(1)", "back": "back(cn(1))"}
    assert latency < 0.55  # two stages of 0.2 s, not three
    # failed in both branches: dead-lettered, yielded once as a failure, not written
    assert [r.id for r in rest] == ["session:1"] and "for 13" in str(rest[0].error)
    result = session.result
    assert result is not None
    letters = sorted((d.operator, d.error) for d in result.dead_letters.records())
    assert letters == [("SlowField", "no cn for 13"), ("SlowField#2", "no en for 13")]
    # the plan's stages: the two independent generators together, the dependent one apart
    plan = pipeline.compile(source_fields=["n"])
    from streamflow.actors.actor import BoundOp
    from streamflow.channels.stats import OperatorStats

    bound = [
        BoundOp(
            s.op, s.keys, OperatorStats(s.label, s.op.kind), None, s.index, s.writes, s.depends_on
        )
        for s in plan.steps
    ]
    assert [[b.stats.name for b in stage] for stage in stages(bound, fuse=True)] == [
        ["SlowField", "SlowField#2"],
        ["SlowField#3"],
    ]
