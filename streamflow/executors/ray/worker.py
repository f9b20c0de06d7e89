"""The process side of a Ray worker pool: one stage's operators, applied to the batches sent.

A :class:`StageWorker` is a plain class; the executor makes it a Ray actor class
(``ray.remote(StageWorker)``) when it starts, so this module imports no Ray and the layering
and the operator listing stay cheap. A worker receives the stage's operators once, when it
starts (and again when Ray restarts it after a crash), and runs exactly what the local runtime
runs in its threads: :func:`~streamflow.actors.actor.apply_chain` for a fused stage of cheap
steps, :func:`~streamflow.actors.actor.hook_results` (the row-by-row retry included) for any
other step. It keeps nothing between batches but the operators and their started servings: the
stored results, the state and the statistics stay with the driver.
"""

from __future__ import annotations

import asyncio
import os
import resource
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from streamflow.actors.actor import BoundOp, StepResult, apply_chain, hook_results
from streamflow.actors.base import Operator
from streamflow.channels.stats import OperatorStats, current_stats
from streamflow.rows import Batch, Row
from streamflow.serving.base import request_priority, servings_started

Usage = tuple[int, int, int, float]
"""LLM requests, prompt tokens, completion tokens and cost of one call, for the driver's stats."""


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


class StageWorker:
    """Runs the hooks of one stage's steps for the driver (as a Ray actor)."""

    def __init__(self, specs: list[StepSpec]) -> None:
        self.bounds = []
        for spec in specs:
            op = spec.op
            op.executor_kind = "thread"  # the pool is the parallelism: no process pool inside
            stats = OperatorStats(spec.label, op.kind)
            self.bounds.append(
                BoundOp(op, spec.keys, stats, None, spec.index, spec.writes, spec.depends_on)
            )
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
        return results, (usage.requests, usage.prompt_tokens, usage.completion_tokens, usage.cost)

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


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
