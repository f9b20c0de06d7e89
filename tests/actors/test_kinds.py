"""Every operator kind, driven through a real pipeline over real files."""

from __future__ import annotations

import os
from typing import Any

import anyio
import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import (
    DatasetEvaluator,
    Failure,
    Filter,
    Generator,
    OperatorContractError,
    Refiner,
    RowGenerator,
    SampleEvaluator,
)


class Upper(Generator):
    def process(self, rows: list[dict], input_key: str, output_key: str) -> list[dict]:
        return [{**r, output_key: r[input_key].upper()} for r in rows]


class AsyncUpper(Generator):
    async def process(self, rows: list[dict], input_key: str, output_key: str) -> list[dict]:
        await anyio.sleep(0)
        return [{**r, output_key: r[input_key].upper()} for r in rows]


class Strip(Refiner):
    def process(self, rows: list[dict], input_key: str) -> list[dict]:
        return [{**r, input_key: r[input_key].strip()} for r in rows]


class LengthScore(SampleEvaluator):
    def process(self, rows: list[dict], input_key: str, output_score_key: str) -> list[dict]:
        return [{**r, output_score_key: len(r[input_key])} for r in rows]


class MinLength(Filter):
    def __init__(self, min_length: int = 3) -> None:
        self.min_length = min_length

    def process(self, rows: list[dict], input_key: str) -> list[Any]:
        return [
            (
                len(r[input_key]) >= self.min_length,
                f"length {len(r[input_key])} < {self.min_length}",
            )
            for r in rows
        ]


class Words(RowGenerator):
    def process(self, rows: list[dict], input_key: str, output_key: str) -> list[list[dict]]:
        return [[{output_key: w} for w in r[input_key].split()] for r in rows]


class Histogram(DatasetEvaluator):
    def __init__(self) -> None:
        self.lengths: dict[int, int] = {}

    def observe(self, rows: list[dict], input_key: str) -> None:
        for r in rows:
            n = len(r[input_key])
            self.lengths[n] = self.lengths.get(n, 0) + 1

    def report(self) -> dict[str, Any]:
        return {"rows": sum(self.lengths.values()), "max_length": max(self.lengths)}


class PidStamp(Generator):
    """Records the process it ran in: proves the process executor really leaves this process."""

    executor = "process"

    def process(self, rows: list[dict], output_key: str) -> list[dict]:
        return [{**r, output_key: os.getpid()} for r in rows]


TEXTS = ["  hello world ", "ab", "streaming rows  ", " x y z", "fourth"]


@pytest.fixture
def src(tmp_path):
    return write_jsonl(tmp_path / "in.jsonl", [{"text": t, "n": i} for i, t in enumerate(TEXTS)])


def run(chain, tmp_path, src, steps, **options):
    out = tmp_path / "out.jsonl"
    result = chain(steps, entry_file=src, output_file=out).run(batch_size=2, **options)
    return result, read_jsonl(out)


@pytest.mark.parametrize("op", [Upper(), AsyncUpper()], ids=["sync", "async"])
def test_generator_adds_field(chain, tmp_path, src, op):
    _, rows = run(chain, tmp_path, src, [(op, {"input_key": "text", "output_key": "up"})])
    assert [r["up"] for r in rows] == [t.upper() for t in TEXTS]
    assert [r["text"] for r in rows] == TEXTS


def test_refiner_then_evaluator_then_filter(chain, tmp_path, src):
    steps = [
        (Strip(), {"input_key": "text"}),
        (LengthScore(), {"input_key": "text", "output_score_key": "len"}),
        (MinLength(3), {"input_key": "text"}),
    ]
    result, rows = run(chain, tmp_path, src, steps)
    assert [r["text"] for r in rows] == ["hello world", "streaming rows", "x y z", "fourth"]
    assert [r["len"] for r in rows] == [11, 14, 5, 6]
    filter_stats = result.stats.operators[2]
    assert (filter_stats.rows_in, filter_stats.rows_out, filter_stats.dropped) == (5, 4, 1)


def test_filter_records_reasons_in_run_dir(chain, tmp_path, src):
    out = tmp_path / "out.jsonl"
    result = chain(
        [(MinLength(6), {"input_key": "text"})],
        entry_file=src,
        output_file=out,
        run_dir=tmp_path / "run",
    ).run()
    (dropped,) = result.dropped.records()
    assert (dropped.operator, dropped.reason) == ("MinLength", "length 2 < 6")
    assert result.dropped.path is not None  # kept in the run store, not in memory


def test_row_generator_makes_child_ids(chain, tmp_path, src):
    result, rows = run(chain, tmp_path, src, [(Words(), {"input_key": "text", "output_key": "w"})])
    assert [r["w"] for r in rows] == " ".join(TEXTS).split()
    assert result.stats.operators[0].rows_out == len(rows)


async def test_row_generator_ids_are_parent_slash_k(chain):
    pipeline = chain([(Words(), {"input_key": "text", "output_key": "w"})])
    async with pipeline.session(source_fields=["text"]) as session:
        await session.send({"text": "a b c"}, id="doc7")
        await session.close()
        results = [r async for r in session]
    assert [r.id for r in results] == ["doc7/0", "doc7/1", "doc7/2"]


def test_dataset_evaluator_reports_and_passes_rows(chain, tmp_path, src):
    run_dir = tmp_path / "run"
    out = tmp_path / "out.jsonl"
    result = chain(
        [(Histogram(), {"input_key": "text"})], entry_file=src, output_file=out, run_dir=run_dir
    ).run(batch_size=2)
    assert result.reports == {"Histogram": {"rows": 5, "max_length": 16}}
    assert len(read_jsonl(out)) == 5
    assert '"max_length": 16' in (run_dir / "reports.json").read_text()


def test_process_executor_runs_in_another_process(chain, tmp_path, src):
    _, rows = run(chain, tmp_path, src, [(PidStamp(), {"output_key": "pid"})])
    assert len(rows) == 5
    assert all(r["pid"] != os.getpid() for r in rows)


def test_thread_executor_keeps_loop_free(chain, tmp_path, src):
    """A blocking hook must not block the loop: a ticker keeps ticking while it sleeps."""
    import time

    class Blocking(Generator):
        def process(self, rows: list[dict], output_key: str) -> list[dict]:
            time.sleep(0.2)
            return [{**r, output_key: 1} for r in rows]

    ticks = 0

    async def main() -> None:
        nonlocal ticks
        pipeline = chain(
            [(Blocking(), {"output_key": "b"})], entry_file=src, output_file=tmp_path / "o.jsonl"
        )
        async with anyio.create_task_group() as tg:

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await anyio.sleep(0.01)
                    ticks += 1

            tg.start_soon(tick)
            await pipeline.arun(batch_size=5)
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert ticks >= 10


def test_failure_marker_goes_to_dead_letters(chain, tmp_path, src):
    class Picky(Generator):
        def process(self, rows: list[dict], output_key: str) -> list[Any]:
            return [Failure("odd n") if r["n"] % 2 else {**r, output_key: True} for r in rows]

    result, rows = run(chain, tmp_path, src, [(Picky(), {"output_key": "ok"})])
    assert [r["n"] for r in rows] == [0, 2, 4]
    letters = result.dead_letters.records()
    assert sorted(d.row["n"] for d in letters) == [1, 3]
    assert {d.error for d in letters} == {"odd n"}


def test_contract_violation_is_fatal(chain, tmp_path, src):
    class Short(Generator):
        def process(self, rows: list[dict]) -> list[dict]:
            return rows[:-1]

    with pytest.raises(OperatorContractError, match="one entry per input row"):
        run(chain, tmp_path, src, [(Short(), {})])
