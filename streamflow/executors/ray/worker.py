"""The process side of a Ray worker pool: one stage's operators, applied to the batches sent.

A :class:`StageWorker` is a plain class; the executor makes it a Ray actor class
(``ray.remote(StageWorker)``) when it starts, so this module imports no Ray and the layering
and the operator listing stay cheap. A worker receives the stage's operators once, when it
starts (and again when Ray restarts it after a crash), and runs exactly what the local runtime
runs in its threads: :func:`~streamflow.actors.actor.apply_chain` for a fused stage of cheap
steps, :func:`~streamflow.actors.actor.hook_results` (the row-by-row retry included) for any
other step. It keeps nothing between batches but the operators and their started servings: the
stored results, the state and the statistics stay with the driver.

A :class:`ShardWorker` runs a whole plan of cheap stateless steps on shards of the input
(:mod:`.shards`): it reads its byte range of a JSON-lines file itself, as the source would
(:func:`~streamflow.io.sources.jsonl_span`), applies the fused chain batch by batch and sends
back the surviving rows already encoded as the sink writes them, with the shard's statistics,
dead letters and dropped rows: the driver only appends bytes and records.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
import warnings
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread

from streamflow.actors.actor import BoundOp, StepResult, apply_chain, hook_results
from streamflow.actors.base import Operator
from streamflow.channels.stats import OperatorStats, current_stats
from streamflow.io.records import BadRecord
from streamflow.io.sinks import encode_lines
from streamflow.io.sources import jsonl_span
from streamflow.rows import Batch, Row
from streamflow.serving.base import request_priority, servings_started
from streamflow.store.deadletters import DeadLetter, Dropped

Usage = tuple[int, int, int, float, int]
"""LLM requests, prompt tokens, completion tokens, cost and requests hedged of one call, for
the driver's stats."""


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step of a stage as a worker needs it (the driver's BoundOp without its statistics,
    which hold a live channel reading and stay with the driver)."""

    op: Operator
    keys: dict[str, Any]
    label: str
    index: int
    writes: tuple[str, ...]
    depends_on: tuple[int, ...]


def _bind(specs: list[StepSpec]) -> list[BoundOp]:
    bounds = []
    for spec in specs:
        op = spec.op
        op.executor_kind = "thread"  # the pool is the parallelism: no process pool inside
        stats = OperatorStats(spec.label, op.kind)
        bounds.append(BoundOp(op, spec.keys, stats, None, spec.index, spec.writes, spec.depends_on))
    return bounds


class StageWorker:
    """Runs the hooks of one stage's steps for the driver (as a Ray actor)."""

    def __init__(self, specs: list[StepSpec]) -> None:
        self.bounds = _bind(specs)
        self._servings: AsyncExitStack | None = None
        self._starting = asyncio.Lock()
        self._cpu_at_start = _cpu_seconds()

    def ready(self) -> int:
        """The worker's process id, once it is up (the executor waits for every worker)."""
        return os.getpid()

    async def chain(self, ids: list[str], rows: list[Row]) -> list[StepResult]:
        """The fused stage on one batch, in a thread (the event loop stays free)."""
        return await anyio.to_thread.run_sync(apply_chain, self.bounds, Batch(ids, rows))

    async def results(
        self, position: int, ids: list[str], rows: list[Row]
    ) -> tuple[list[Any], Usage]:
        """Step ``position``'s per-row results for these rows, and what its LLM calls used."""
        await self._start_servings()
        bound = self.bounds[position]
        usage = OperatorStats(bound.stats.name, bound.stats.kind)
        stats_token = current_stats.set(usage)
        priority = request_priority.set(bound.index)
        try:
            results = await hook_results(bound, ids, rows)
        finally:
            request_priority.reset(priority)
            current_stats.reset(stats_token)
        return results, (
            usage.requests,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cost,
            usage.hedged,
        )

    async def close(self) -> float:
        """Close the servings this worker started (an engine frees its memory); returns the CPU
        seconds this worker used since it started (its imports not counted)."""
        if self._servings is not None:
            await self._servings.aclose()
            self._servings = None
        return _cpu_seconds() - self._cpu_at_start

    async def _start_servings(self) -> None:
        async with self._starting:
            if self._servings is not None:
                return
            stack = AsyncExitStack()
            servings = (getattr(b.op, "llm_serving", None) for b in self.bounds)
            await stack.enter_async_context(servings_started(s for s in servings if s))
            self._servings = stack


@dataclass(frozen=True, slots=True)
class Shard:
    """The lines of one JSON-lines file that start in ``[start, end)`` (``end`` None: to its
    end), and how to read and write them."""

    number: int
    path: str
    file_id: str
    start: int
    end: int | None
    batch_size: int
    output: str
    """The sink's path, for a row that cannot be encoded."""
    encode: bool = True
    """Send the rows back encoded for the output (False: as rows, for the rest of the plan)."""


StepCounts = tuple[int, int, int, int, int, float]
"""One step's rows in, rows out, dropped, failed, batches and busy seconds over one shard."""


@dataclass(slots=True)
class ShardResult:
    """What one shard made: the rows to append, and everything the driver records."""

    lines: bytes = b""
    """The surviving rows, encoded as the JSON-lines sink writes them."""
    rows: Batch = field(default_factory=lambda: Batch([], []))
    """The surviving rows themselves, when the rest of the plan takes them."""
    rows_written: int = 0
    rows_read: int = 0
    batches: int = 0
    last: int | None = None
    """The offset of the last record read (a row or a bad record): the checkpoint position."""
    bad: list[BadRecord] = field(default_factory=list)
    steps: list[StepCounts] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notices: list[tuple[type[Warning], str]] = field(default_factory=list)
    """Warnings met (an unfinished last line), for the driver to show."""


class ShardWorker:
    """Runs every step of a plan of cheap stateless steps on shards of the input (a Ray actor
    whose calls run one at a time: the next shard waits in its queue)."""

    def __init__(self, specs: list[StepSpec]) -> None:
        self.bounds = _bind(specs)
        self._cpu_at_start = _cpu_seconds()

    def ready(self) -> int:
        return os.getpid()

    def shard(self, shard: Shard) -> ShardResult:
        result = ShardResult(steps=[(0, 0, 0, 0, 0, 0.0)] * len(self.bounds))
        chunks: list[bytes] = []
        batch = Batch([], [])
        last: str | None = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            records = jsonl_span(Path(shard.path), shard.file_id, shard.start, shard.end)
            with contextlib.closing(records):
                for record in records:
                    if isinstance(record, BadRecord):
                        result.bad.append(record)
                        last = record.id
                    else:
                        last = record[0]
                        batch.ids.append(last)
                        batch.rows.append(record[1])
                        if len(batch.ids) >= shard.batch_size:
                            chunks.append(self._apply(batch, result, shard))
                            batch = Batch([], [])
            if batch.rows:
                chunks.append(self._apply(batch, result, shard))
        if last is not None:
            result.last = int(last.rpartition(":")[2])
        result.notices = list(dict.fromkeys((w.category, str(w.message)) for w in caught))
        result.lines = b"".join(chunks)
        return result

    def _apply(self, batch: Batch, result: ShardResult, shard: Shard) -> bytes:
        """The fused chain on one batch, counted into ``result``; the survivors encoded (or
        kept in ``result.rows``)."""
        result.rows_read += len(batch)
        result.batches += 1
        steps = apply_chain(self.bounds, batch) if self.bounds else []
        for i, (bound, (rows_in, outcome, seconds)) in enumerate(
            zip(self.bounds, steps, strict=False)
        ):
            name = bound.stats.name
            counts = result.steps[i]
            result.steps[i] = (
                counts[0] + rows_in,
                counts[1] + len(outcome.batch),
                counts[2] + len(outcome.dropped),
                counts[3] + len(outcome.failed),
                counts[4] + 1,
                counts[5] + seconds,
            )
            result.dropped += [Dropped(name, d.id, d.reason) for d in outcome.dropped]
            now = time.time()
            result.dead_letters += [
                DeadLetter(name, row_id, reason, row, now) for row_id, row, reason in outcome.failed
            ]
            batch = outcome.batch
        if len(steps) < len(self.bounds):  # a step left no row
            return b""
        result.rows_written += len(batch)
        if not shard.encode:
            result.rows.ids.extend(batch.ids)
            result.rows.rows.extend(batch.rows)
            return b""
        return encode_lines(batch, Path(shard.output)) if batch.rows else b""

    def close(self) -> float:
        """The CPU seconds this worker used since it started (its imports not counted)."""
        return _cpu_seconds() - self._cpu_at_start


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
