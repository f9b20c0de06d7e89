"""The executor seam: a pipeline compiles, then hands its plan and job to an executor; the old
runtime entry point still runs through the new one."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import anyio
import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import Filter, Generator, RunOptions, RunResult
from streamflow.executors import (
    Executor,
    Job,
    LocalExecutor,
    Monitor,
    RunContext,
    run_plan,
)
from streamflow.executors.endpoints import file_consumer, file_producer
from streamflow.io.sinks import open_sink
from streamflow.plan import Plan
from streamflow.store.runstore import RunStore


class Double(Generator):
    def process(self, rows, input_key: str, output_key: str):
        return [{**r, output_key: 2 * r[input_key]} for r in rows]


class Odd(Filter):
    def process(self, rows, input_key: str):
        return [(r[input_key] % 2 == 1, "even") for r in rows]


class Recording(Executor):
    """Records what it is handed, then lets the local executor run it."""

    def __init__(self) -> None:
        self.seen: list[tuple[Plan, Job, RunOptions]] = []

    async def execute(
        self, plan: Plan, job: Job, options: RunOptions, *, monitor: Monitor | None = None
    ) -> RunResult:
        self.seen.append((plan, job, options))
        return await LocalExecutor().execute(plan, job, options, monitor=monitor)


def steps() -> list:
    return [(Odd(), {"input_key": "n"}), (Double(), {"input_key": "n", "output_key": "d"})]


def test_a_pipeline_hands_its_compiled_plan_and_job_to_the_executor(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(10)])
    executor = Recording()
    pipeline = chain(steps(), entry_file=src, output_file=tmp_path / "unused.jsonl")
    result = pipeline.run(
        output=tmp_path / "out.jsonl", run_dir=tmp_path / "rd", executor=executor, batch_size=3
    )
    [(plan, job, options)] = executor.seen
    assert [s.label for s in plan.steps] == ["Odd", "Double"]
    assert (job.output, job.run_dir, job.resume, job.overwrite) == (
        tmp_path / "out.jsonl",
        tmp_path / "rd",
        False,
        False,
    )
    assert job.source.files == [src.resolve()]
    assert options.batch_size == 3
    assert result.rows_written == 5
    assert read_jsonl(tmp_path / "out.jsonl") == [{"n": i, "d": 2 * i} for i in range(1, 10, 2)]


def test_the_local_executor_is_the_default(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(4)])
    result = chain(steps(), entry_file=src, output_file=tmp_path / "out.jsonl").run()
    assert result.rows_written == 2 and result.stats.operators[0].dropped == 2


def test_the_old_runtime_execute_signature_runs_through_run_plan(chain, tmp_path):
    """``streamflow.runtime.execute`` kept its 12 keyword arguments for code written against it."""
    from streamflow.runtime import execute
    from streamflow.store.deadletters import DeadLetter, DeadLetters, DropLog, Dropped

    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(6)])
    pipeline = chain(steps(), entry_file=src)
    plan = pipeline.compile()
    store = RunStore(tmp_path / "store")
    try:
        source = file_producer(pipeline.storage.source(), 4, DeadLetters(DeadLetter))
        result = anyio.run(
            functools.partial(
                execute,
                plan,
                source,
                file_consumer(open_sink(tmp_path / "out.jsonl")),
                options=RunOptions(),
                dead_letters=DeadLetters(DeadLetter, store),
                dropped=DropLog(Dropped, store),
                source_name="in",
                sink_name="out",
                store=store,
                fingerprints=["fp-odd", "fp-double"],
            )
        )
        assert [s.name for s in result.stats.steps] == ["in", "Odd", "Double", "out"]
        assert result.dropped.count == 3  # in the store it was given
        assert store.get_results("fp-odd", ["x"]) == [None]  # cheap steps store no results
    finally:
        store.close()
    assert read_jsonl(tmp_path / "out.jsonl") == [{"n": i, "d": 2 * i} for i in (1, 3, 5)]


def test_a_context_from_a_later_step_keeps_that_steps_fingerprints(tmp_path: Path):
    store = RunStore(tmp_path / "store")
    try:
        context = RunContext.in_store(store, ["a", "b", "c"], {"X": {"rows": 1}})
        later = context.from_step(1, None)
        assert list(later.fingerprints or []) == ["b", "c"] and later.states is None
        assert later.dead_letters is context.dead_letters and later.store is store
    finally:
        store.close()
    memory = RunContext.in_memory()
    assert memory.store is None and memory.dead_letters.path is None
    assert memory.from_step(2, {}).fingerprints is None


async def test_run_plan_needs_only_a_plan_two_ends_and_a_context(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(5)])
    pipeline = chain(steps(), entry_file=src)
    context = RunContext.in_memory()
    result = await run_plan(
        pipeline.compile(),
        file_producer(pipeline.storage.source(), 2, context.dead_letters),
        file_consumer(open_sink(tmp_path / "out.jsonl")),
        options=RunOptions(batch_size=2),
        context=context,
    )
    assert result.stats.source.name.endswith("in.jsonl (jsonl)")
    assert result.stats.sink.name == str(tmp_path / "out.jsonl")
    assert result.rows_written == 2


def test_executors_by_name(chain, tmp_path):
    from streamflow.executors import make_executor
    from streamflow.executors.ray import RayExecutor

    assert isinstance(make_executor("local"), LocalExecutor)
    ray_executor = make_executor("ray", address="127.0.0.1:6379")
    assert isinstance(ray_executor, RayExecutor) and ray_executor.address == "127.0.0.1:6379"
    with pytest.raises(ValueError, match="unknown executor 'dask'; choose one of: local, ray"):
        make_executor("dask")
    with pytest.raises(ValueError, match="--executor ray"):
        make_executor("local", address="auto")
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(4)])
    result = chain(steps(), entry_file=src, output_file=tmp_path / "out.jsonl").run(
        executor="local"
    )
    assert result.rows_written == 2


def test_the_ray_executor_without_ray_names_the_extra(chain, tmp_path, monkeypatch):
    from streamflow.extras import MissingDependency

    monkeypatch.setitem(sys.modules, "ray", None)  # an import of ray now fails
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(4)])
    pipeline = chain(steps(), entry_file=src, output_file=tmp_path / "out.jsonl")
    with pytest.raises(MissingDependency, match=r"pip install 'streamflow-data\[ray\]'"):
        pipeline.run(executor="ray")
    assert not (tmp_path / "out.jsonl").exists()
