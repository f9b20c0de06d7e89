"""Input shards read by the workers: the Ray executor's path for plans of cheap rule steps.

When every step of a plan is stateless, synchronous, not expensive and not whole-dataset (the
steps :mod:`.pools` would put in a CPU pool: refiners, filters, rule generators), the input is
plain JSON-lines files and the run writes JSON lines (its output, or a run directory's spool),
the driver no longer touches the rows. It splits each file into byte ranges (:func:`split`), and
each :class:`~streamflow.executors.ray.worker.ShardWorker` reads its range itself (the lines
that *start* in it, decoded as the source decodes them: the same ids, bad records and
unfinished last line), runs the fused chain and returns the surviving rows already encoded as
the sink writes them, with the shard's statistics, dead letters and dropped rows. The driver
keeps :attr:`~.pools.PoolSizes.batches_per_cpu_worker` shards in flight per worker (a slow
worker pushes back), takes the results back in shard order, records dead letters and dropped
rows in the run store, appends the bytes and, at shard ends, commits the local executor's own
checkpoints (through :class:`~streamflow.executors.local.Stream`, so the protocol stays in one
place): per file the offset of the last record read, the output's length, the rows written.
Hence the contracts hold as locally: the output equals a local run's byte for byte, ``--resume``
after a kill of the driver continues from the last checkpoint with either executor, a grown
input continues, and a killed worker's shard is sent again (``max_task_retries``) and still
written in its place.

A plan whose *first* steps are such steps (refiners and filters before a dedup, an evaluator
or an LLM step) runs those on shards too (:meth:`ShardPool.stream_prefix`): the workers send
back the rows they keep, and the driver feeds them, with the checkpoint barriers, to the rest
of the plan, which runs as without shards (its stateless steps in their pools, stateful ones in
the driver); the driver no longer reads, decodes or ships the input, only takes the rows back.

Limits: a shard is the unit of work and of loss (a killed driver redoes the shards after its
last checkpoint; a killed worker its shard); each input file is at least one shard, so many
tiny files cost a call each; a bad record's line number is counted from its file's start when
one is met (line numbers after a resume too, where the local source names the byte offset).
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from streamflow.actors.actor import FailurePolicy
from streamflow.actors.base import Operator
from streamflow.channels.items import ItemSend
from streamflow.channels.stats import OperatorStats, RunStats
from streamflow.errors import BadRecordError, FailureLimitExceeded, SinkError
from streamflow.executors.base import Job, RunOptions, RunResult
from streamflow.executors.endpoints import bad_record_letters, file_consumer
from streamflow.executors.local import Streaming, writes_jsonl
from streamflow.executors.ray.pools import PoolSizes, close_actors, runs_on_driver, wait_ready
from streamflow.executors.ray.worker import Shard, ShardResult, ShardWorker, StepSpec
from streamflow.executors.runtime import Producer, explain_failures, root_cause, run_plan, watched
from streamflow.io.sinks import JsonArraySink, JsonlSink
from streamflow.io.sources import FileSource
from streamflow.plan import Plan
from streamflow.rows import Barrier, Batch

__all__ = ["ShardPool", "shardable", "split"]

SHARDS_PER_WORKER = 8
"""Shards per worker when their size is not given: enough that the last ones even out."""
MIN_SHARD_BYTES = 16 << 10
MAX_SHARD_BYTES = 8 << 20


def shard_step(op: Operator) -> bool:
    """A step a worker can run on its own shard: cheap, synchronous, keeping no state."""
    return not (
        runs_on_driver(op)
        or op.expensive
        or op.whole_dataset
        or inspect.iscoroutinefunction(op.hook)
    )


def shard_prefix(plan: Plan, job: Job) -> int:
    """How many of the plan's first steps can run on shards of ``job``'s input (0: none, or
    the input cannot be read in byte ranges)."""
    source = job.source
    if not isinstance(source, FileSource) or job.step_files or not source.in_byte_ranges():
        return 0
    k = 0
    while k < len(plan.steps) and shard_step(plan.steps[k].op):
        k += 1
    return k


def shardable(plan: Plan, job: Job) -> bool:
    """Whether the whole of ``job`` can run shard by shard in the workers, its rows written as
    they come back."""
    return shard_prefix(plan, job) == len(plan.steps) and writes_jsonl(job)


def split(
    files: list[tuple[Path, str, int, int]],
    shard_bytes: int,
    batch_size: int,
    output: Path,
    encode: bool = True,
) -> list[Shard]:
    """Shards of ``(path, file id, first byte, size)``: ranges of ``shard_bytes``, the last of
    each file open-ended (a line still growing is read as the source would read it); ``encode``:
    their rows come back encoded for the output (else as rows, for the rest of the plan)."""
    shards: list[Shard] = []
    for path, file_id, first, size in files:
        if first >= size:
            continue
        starts = range(first, size, shard_bytes)
        for k, start in enumerate(starts):
            end = start + shard_bytes if k + 1 < len(starts) else None
            shards.append(
                Shard(len(shards), str(path), file_id, start, end, batch_size, str(output), encode)
            )
    return shards


@dataclass
class _Slot:
    shard: Shard
    result: ShardResult | None = None
    error: BaseException | None = None
    done: anyio.Event = field(default_factory=anyio.Event)


class ShardPool:
    """The shard workers of one run: one per CPU (or ``sizes.cpu_workers``), each holding the
    whole plan's steps; :meth:`stream` is the run's :class:`~streamflow.executors.local.Stream`."""

    def __init__(
        self, ray: Any, plan: Plan, sizes: PoolSizes, steps: int, workers: int | None = None
    ) -> None:
        self.ray = ray
        self.sizes = sizes
        self.steps = steps
        """How many of the plan's first steps run on the shards (all: the rows come back
        encoded and are written; fewer: :meth:`stream_prefix` feeds the rest of the plan)."""
        self.workers = workers
        head = plan.steps[:steps]
        self.labels = [s.label for s in head]
        self.specs = [
            StepSpec(s.op, s.keys, s.label, s.index, s.writes, s.depends_on) for s in head
        ]
        self.actors: list[Any] = []
        self.worker_cpu_seconds = 0.0
        self.shard_count = 0
        """Shards the last run was cut into."""

    async def start(self) -> None:
        sizes = self.sizes
        if self.workers or sizes.cpu_workers:
            count = self.workers or sizes.cpu_workers or 1
        else:
            cpus = float(self.ray.cluster_resources().get("CPU", 1))
            count = max(1, math.floor(cpus / sizes.cpus_per_worker))
        worker = self.ray.remote(ShardWorker)
        self.actors = [
            worker.options(
                max_restarts=-1,  # a killed worker comes back...
                max_task_retries=-1,  # ...and the shards it held are sent again
                num_cpus=sizes.cpus_per_worker,
                scheduling_strategy="SPREAD",
            ).remote(self.specs)
            for _ in range(count)
        ]
        await wait_ready(self.ray, self.actors, self.labels or ["the input shards"])

    async def close(self) -> None:
        self.worker_cpu_seconds += await close_actors(self.ray, self.actors)
        self.actors = []

    def pids(self) -> list[int]:
        """The process ids of the workers (for tests that kill one)."""
        return [self.ray.get(a.ready.remote()) for a in self.actors]

    async def stream(self, passage: Streaming) -> RunResult:
        """Run ``passage.job`` shard by shard, the rows written by the driver as the workers
        encoded them (see the module docstring)."""
        source, sink, commit = passage.job.source, passage.sink, passage.commit
        assert isinstance(source, FileSource)
        assert isinstance(sink, JsonlSink) and not isinstance(sink, JsonArraySink)
        stats = RunStats(
            [OperatorStats(source.describe(), "source")]
            + [OperatorStats(s.label, s.op.kind) for s in passage.plan.steps]
            + [OperatorStats(str(passage.job.output), "sink")]
        )

        async def write(result: ShardResult) -> None:
            if result.lines:
                try:
                    await anyio.to_thread.run_sync(sink.write_lines, result.lines)
                except OSError as exc:
                    raise SinkError(
                        f"{sink.path}: cannot write the output: {exc.strerror or exc}"
                    ) from exc
            stats.sink.rows_in += result.rows_written
            stats.sink.rows_out += result.rows_written
            stats.sink.batches += 1

        async def checkpoint(barrier: Barrier) -> None:
            assert commit is not None
            await commit(barrier, stats.sink)

        run = _ShardRun(
            passage,
            source,
            stats.source,
            stats.operators,
            write,
            checkpoint if commit is not None else None,
        )
        shards = await self._shards(passage, run.position, encode=True)
        for step in stats.steps:
            step.start()
        try:
            await watched(stats, passage.monitor, functools.partial(self._run, shards, run))
            if passage.options.failure_limit_at_end:
                for step in stats.operators:
                    run.check(step, at_end=True)
        except BaseExceptionGroup as group:
            raise root_cause(group) from None
        finally:
            for step in stats.steps:
                step.finish()
            with anyio.CancelScope(shield=True):  # flush and close even when cancelled
                await anyio.to_thread.run_sync(sink.close)
        return RunResult(stats, passage.context.dead_letters, passage.context.dropped)

    async def stream_prefix(self, passage: Streaming) -> RunResult:
        """The first :attr:`steps` of the plan on shards, the rows they keep fed to the rest of
        the plan, which runs as usual (its stateless steps in their worker pools)."""
        source, k = passage.job.source, self.steps
        assert isinstance(source, FileSource)
        head = [OperatorStats(s.label, s.op.kind) for s in passage.plan.steps[:k]]
        rest = Plan(passage.plan.steps[k:], None, passage.plan.warnings)
        batch_size = passage.options.batch_size

        async def fill(send: ItemSend, stats: OperatorStats) -> None:
            async def forward(result: ShardResult) -> None:
                ids, rows = result.rows.ids, result.rows.rows
                for i in range(0, len(rows), batch_size):
                    await send.send(Batch(ids[i : i + batch_size], rows[i : i + batch_size]))

            run = _ShardRun(
                passage, source, stats, head, forward, send.send if passage.commit else None
            )
            shards = await self._shards(passage, run.position, encode=False)
            for step in head:
                step.start()
            try:
                await self._run(shards, run)
            finally:
                for step in head:
                    step.finish()

        context = passage.context
        return await run_plan(
            rest,
            Producer(source.describe(), fill),
            file_consumer(passage.sink, on_barrier=passage.commit, name=str(passage.job.output)),
            options=passage.options,
            context=context.from_step(k, context.states),
            monitor=passage.monitor,
            check_at_end=passage.options.failure_limit_at_end,
            leading=head,
        )

    async def _shards(self, passage: Streaming, done: dict[str, int], encode: bool) -> list[Shard]:
        source = passage.job.source
        assert isinstance(source, FileSource)
        shards = await anyio.to_thread.run_sync(
            self._split, source, done, passage.options, passage.sink.path, encode
        )
        self.shard_count = len(shards)
        return shards

    def _split(
        self,
        source: FileSource,
        done: dict[str, int],
        options: RunOptions,
        output: Path,
        encode: bool,
    ) -> list[Shard]:
        ids = source.file_ids
        files = []
        for path in source.files:
            file_id = ids[path]
            first = done[file_id] + 1 if file_id in done else 0
            files.append((path, file_id, first, os.stat(path).st_size))
        size = self.sizes.shard_bytes
        if size is None:
            todo = sum(max(0, end - first) for _, _, first, end in files)
            size = todo // (SHARDS_PER_WORKER * max(1, len(self.actors)))
            size = min(MAX_SHARD_BYTES, max(MIN_SHARD_BYTES, size))
        return split(files, max(1, size), options.batch_size, output, encode)

    async def _run(self, shards: list[Shard], run: _ShardRun) -> None:
        """Keep the workers busy (each with a bounded queue); handle results in shard order."""
        per_actor = self.sizes.batches_per_cpu_worker
        in_flight = max(1, len(self.actors) * per_actor)
        idle_send, idle = anyio.create_memory_object_stream[Any](in_flight)
        for _ in range(per_actor):
            for actor in self.actors:
                idle_send.send_nowait(actor)
        slots_send, slots = anyio.create_memory_object_stream[_Slot](in_flight)

        async def call(actor: Any, slot: _Slot) -> None:
            try:
                slot.result = await actor.shard.remote(slot.shard)
            except Exception as exc:
                slot.error = exc
            finally:
                idle_send.send_nowait(actor)
                slot.done.set()

        async def feed() -> None:
            async with slots_send:
                for shard in shards:
                    slot = _Slot(shard)
                    await slots_send.send(slot)  # at most ``in_flight`` results held
                    tg.start_soon(call, await idle.receive(), slot)

        with idle_send, idle:
            async with anyio.create_task_group() as tg:
                tg.start_soon(feed)
                async with slots:
                    async for slot in slots:
                        await slot.done.wait()
                        if slot.error is not None:
                            raise _cause(self.ray, slot.error)
                        assert slot.result is not None
                        await run.take(slot.shard, slot.result)
        await run.end()


class _ShardRun:
    """The driver's side of one run on shards: the results taken in order, recorded (statistics,
    dead letters, dropped rows, the position), handed to ``deliver`` (the output, or the rest of
    the plan), and a ``barrier`` every ``checkpoint_interval`` seconds and at the end (None: no
    run directory, no barriers)."""

    def __init__(
        self,
        passage: Streaming,
        source: FileSource,
        source_stats: OperatorStats,
        steps: list[OperatorStats],
        deliver: Callable[[ShardResult], Awaitable[None]],
        barrier: Callable[[Barrier], Awaitable[None]] | None,
    ) -> None:
        self.source = source
        self.source_stats = source_stats
        self.steps = steps
        self.deliver = deliver
        self.barrier = barrier
        self.options = options = passage.options
        self.context = passage.context
        resume = passage.resume
        self.policy = FailurePolicy(options.max_failed_fraction, options.min_rows_for_failure_limit)
        self.position: dict[str, int] = dict(resume.position) if resume else {}
        self.number = resume.number if resume else 0
        self.last_barrier = time.monotonic()

    async def take(self, shard: Shard, result: ShardResult) -> None:
        """One shard's result, in order: recorded, delivered, and perhaps a barrier."""
        context, source = self.context, self.source_stats
        for category, message in result.notices:
            warnings.warn(message, category, stacklevel=2)
        if result.bad:
            if self.source.on_bad_record == "raise":
                bad = result.bad[0]
                raise BadRecordError(bad.path, bad.where, bad.reason)
            source.failed += len(result.bad)
            await anyio.to_thread.run_sync(context.dead_letters.add, bad_record_letters(result.bad))
        source.rows_out += result.rows_read
        source.batches += result.batches
        if result.dropped:
            await anyio.to_thread.run_sync(context.dropped.add, result.dropped)
        if result.dead_letters:
            await anyio.to_thread.run_sync(context.dead_letters.add, result.dead_letters)
        for step, (rows_in, rows_out, dropped, failed, batches, busy) in zip(
            self.steps, result.steps, strict=True
        ):
            step.rows_in += rows_in
            step.rows_out += rows_out
            step.dropped += dropped
            step.failed += failed
            step.batches += batches
            step.busy_seconds += busy
            if failed:
                self.check(step)
        await self.deliver(result)
        if result.last is not None and result.last > self.position.get(shard.file_id, -1):
            self.position[shard.file_id] = result.last
        if self.barrier is not None:
            now = time.monotonic()
            if now - self.last_barrier >= self.options.checkpoint_interval:
                self.number += 1
                await self.barrier(Barrier(self.number, dict(self.position)))
                self.last_barrier = now

    async def end(self) -> None:
        """The final barrier."""
        if self.barrier is not None:
            await self.barrier(Barrier(self.number + 1, dict(self.position), final=True))

    def check(self, step: OperatorStats, *, at_end: bool = False) -> None:
        try:
            self.policy.check(step, at_end=at_end)
        except FailureLimitExceeded as exc:
            explain_failures(exc, self.context.dead_letters)
            raise


def _cause(ray: Any, error: BaseException) -> BaseException:
    """A worker's own error (a row that cannot be encoded, a broken operator contract) as it
    was raised there, not wrapped in Ray's traceback."""
    if isinstance(error, ray.exceptions.RayTaskError):
        cause = error.cause
        if isinstance(cause, Exception):
            return cause
    return error
