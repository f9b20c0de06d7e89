"""The actor that runs one stage of a plan: pull batches, apply the operator(s), push the result.

A stage is one operator, or a run of cheap synchronous operators fused together so a batch
crosses into a worker thread once for the whole run instead of once per operator (each keeps
its own statistics). An actor owns its outbound channel and closes it when it is done, so end
of stream flows downstream by closing channels, never by sentinels. With several workers the
actor keeps input order by default (a bounded reorder window of ``workers`` batches) or, on
request, emits in completion order.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from streamflow.actors.base import Operator
from streamflow.actors.hooks import call_hook
from streamflow.channels.stats import OperatorStats, current_stats
from streamflow.errors import FailureLimitExceeded, OperatorContractError
from streamflow.rows import Batch, Outcome
from streamflow.store.deadletters import DeadLetter, Dropped

BatchSend = MemoryObjectSendStream[Batch]
BatchReceive = MemoryObjectReceiveStream[Batch]


@dataclass
class FailurePolicy:
    """When failed rows stop being dead letters and start being a failed run."""

    max_failed_fraction: float = 0.1
    min_rows: int = 100

    def check(self, stats: OperatorStats) -> None:
        if stats.rows_in < self.min_rows:
            return
        fraction = stats.failed / stats.rows_in
        if fraction > self.max_failed_fraction:
            raise FailureLimitExceeded(
                f"{stats.name}: {stats.failed} of {stats.rows_in} rows failed "
                f"({fraction:.0%} > limit {self.max_failed_fraction:.0%}); see the dead letters "
                "for the errors, or raise max_failed_fraction"
            )


@dataclass
class Recorder:
    """Where an actor reports what left the stream: dead letters and dropped rows."""

    dead_letter: Callable[[list[DeadLetter]], Awaitable[None]]
    dropped: Callable[[list[Dropped]], Awaitable[None]]


@dataclass
class BoundOp:
    """An operator with the keys ``run()`` bound and the statistics of its step."""

    op: Operator
    keys: dict[str, Any]
    stats: OperatorStats

    @property
    def fusable(self) -> bool:
        """Cheap, synchronous, single-worker thread work: may share a thread hop with neighbours."""
        op = self.op
        return (
            op.workers == 1
            and op.executor_kind == "thread"
            and not op.expensive
            and not inspect.iscoroutinefunction(op.hook)
        )


@dataclass
class Actor:
    ops: list[BoundOp]
    recorder: Recorder
    policy: FailurePolicy
    batch_size: int
    ordered: bool = True

    def __post_init__(self) -> None:
        if len(self.ops) > 1 and not all(b.fusable for b in self.ops):
            raise ValueError("only fusable operators share a stage")
        self.workers = self.ops[0].op.workers

    async def run(self, inbound: BatchReceive, outbound: BatchSend) -> None:
        for bound in self.ops:
            bound.stats.start()
        try:
            async with inbound, outbound:
                if self.workers == 1:
                    async for batch in inbound:
                        await self._send(outbound, await self.apply(batch))
                elif self.ordered:
                    await self._run_ordered(inbound, outbound)
                else:
                    await self._run_unordered(inbound, outbound)
        finally:
            for bound in self.ops:
                bound.stats.finish()

    async def apply(self, batch: Batch) -> Batch:
        """Run the stage on one batch; failed rows become dead letters, the rest go on."""
        if len(self.ops) > 1 or self.ops[0].fusable:
            steps = await anyio.to_thread.run_sync(_apply_chain_sync, self.ops, batch)
        else:
            bound = self.ops[0]
            started = time.perf_counter()
            token = current_stats.set(bound.stats)
            try:
                outcome = await _apply_async(bound, batch)
            finally:
                current_stats.reset(token)
            steps = [(len(batch), outcome, time.perf_counter() - started)]
        for bound, (rows_in, outcome, seconds) in zip(self.ops, steps, strict=False):
            await self._record(bound, rows_in, outcome, seconds)
            batch = outcome.batch
        return batch if len(steps) == len(self.ops) else Batch([], [])

    async def _record(self, bound: BoundOp, rows_in: int, outcome: Outcome, seconds: float) -> None:
        stats = bound.stats
        stats.rows_in += rows_in
        stats.batches += 1
        stats.busy_seconds += seconds
        stats.rows_out += len(outcome.batch)
        if outcome.dropped:
            stats.dropped += len(outcome.dropped)
            await self.recorder.dropped(
                [Dropped(stats.name, d.id, d.reason) for d in outcome.dropped]
            )
        if outcome.failed:
            stats.failed += len(outcome.failed)
            await self.recorder.dead_letter(
                [DeadLetter(stats.name, i, reason, row) for i, row, reason in outcome.failed]
            )
            self.policy.check(stats)

    async def _send(self, outbound: BatchSend, batch: Batch) -> None:
        """Pass a batch on, split so no channel slot holds more than ``batch_size`` rows."""
        if len(batch) <= self.batch_size:
            if batch.rows:
                await outbound.send(batch)
            return
        for i in range(0, len(batch), self.batch_size):
            await outbound.send(
                Batch(batch.ids[i : i + self.batch_size], batch.rows[i : i + self.batch_size])
            )

    async def _run_unordered(self, inbound: BatchReceive, outbound: BatchSend) -> None:
        async def worker(inbound: BatchReceive, outbound: BatchSend) -> None:
            async with inbound, outbound:
                async for batch in inbound:
                    await self._send(outbound, await self.apply(batch))

        async with anyio.create_task_group() as tg:
            for _ in range(self.workers):
                tg.start_soon(worker, inbound.clone(), outbound.clone())

    async def _run_ordered(self, inbound: BatchReceive, outbound: BatchSend) -> None:
        """Workers run batches concurrently; an emitter releases them in arrival order.

        The window of slots is bounded by the worker count, so one slow batch holds back at
        most ``workers`` finished ones.
        """
        window_send, window_recv = anyio.create_memory_object_stream[_Slot](self.workers)
        work_send, work_recv = anyio.create_memory_object_stream[_Slot]()

        async def dispatch() -> None:
            async with window_send, work_send:
                async for batch in inbound:
                    slot = _Slot(batch)
                    await window_send.send(slot)
                    await work_send.send(slot)

        async def worker(work: MemoryObjectReceiveStream[_Slot]) -> None:
            async with work:
                async for slot in work:
                    slot.result = await self.apply(slot.batch)
                    slot.done.set()

        async def emit() -> None:
            async with window_recv:
                async for slot in window_recv:
                    await slot.done.wait()
                    assert slot.result is not None
                    await self._send(outbound, slot.result)

        async with anyio.create_task_group() as tg:
            tg.start_soon(dispatch)
            for _ in range(self.workers):
                tg.start_soon(worker, work_recv.clone())
            work_recv.close()
            tg.start_soon(emit)


def stages(ops: list[BoundOp], fuse: bool) -> list[list[BoundOp]]:
    """Group consecutive fusable operators into one stage each (when ``fuse``)."""
    grouped: list[list[BoundOp]] = []
    for bound in ops:
        if fuse and bound.fusable and grouped and grouped[-1][-1].fusable:
            grouped[-1].append(bound)
        else:
            grouped.append([bound])
    return grouped


@dataclass
class _Slot:
    batch: Batch
    result: Batch | None = None
    done: anyio.Event = field(default_factory=anyio.Event)


def _apply_chain_sync(ops: list[BoundOp], batch: Batch) -> list[tuple[int, Outcome, float]]:
    """In a worker thread: each operator in turn; stops early once no row is left."""
    steps = []
    for bound in ops:
        if not batch.rows:
            break
        started = time.perf_counter()
        token = current_stats.set(bound.stats)
        try:
            outcome = _apply_sync(bound, batch)
        finally:
            current_stats.reset(token)
        steps.append((len(batch), outcome, time.perf_counter() - started))
        batch = outcome.batch
    return steps


def _apply_sync(bound: BoundOp, batch: Batch) -> Outcome:
    op, keys = bound.op, bound.keys
    try:
        return op.outcome(batch, op.hook(batch.rows, **keys))
    except OperatorContractError:
        raise
    except Exception:
        pass
    # The batch raised: retry row by row so one bad row fails alone.
    return _merge(_try_row_sync(bound, row_id, row) for row_id, row in _pairs(batch))


def _try_row_sync(bound: BoundOp, row_id: str, row: dict[str, Any]) -> Outcome:
    try:
        return bound.op.outcome(Batch([row_id], [row]), bound.op.hook([row], **bound.keys))
    except OperatorContractError:
        raise
    except Exception as exc:
        return Outcome(Batch([], []), failed=[(row_id, row, _describe(exc))])


async def _apply_async(bound: BoundOp, batch: Batch) -> Outcome:
    op, keys = bound.op, bound.keys
    try:
        return op.outcome(batch, await call_hook(op, batch.rows, keys))
    except OperatorContractError:
        raise
    except Exception:
        pass
    outcomes = []
    for row_id, row in _pairs(batch):
        try:
            outcomes.append(op.outcome(Batch([row_id], [row]), await call_hook(op, [row], keys)))
        except OperatorContractError:
            raise
        except Exception as exc:
            outcomes.append(Outcome(Batch([], []), failed=[(row_id, row, _describe(exc))]))
    return _merge(outcomes)


def _pairs(batch: Batch) -> zip[tuple[str, dict[str, Any]]]:
    return zip(batch.ids, batch.rows, strict=True)


def _merge(outcomes: Any) -> Outcome:
    merged = Outcome(Batch([], []))
    for one in outcomes:
        merged.batch.ids += one.batch.ids
        merged.batch.rows += one.batch.rows
        merged.dropped += one.dropped
        merged.failed += one.failed
    return merged


def _describe(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, enough to find the bug from a dead letter."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
