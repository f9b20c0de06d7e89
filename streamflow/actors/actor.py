"""The actor that runs one step of a plan: pull batches, apply the operator, push the result.

An actor owns its outbound channel and closes it when it is done, so end of stream flows
downstream by closing channels, never by sentinels. With several workers the actor keeps input
order by default (a bounded reorder window of ``workers`` batches) or, on request, emits in
completion order.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from streamflow.actors.base import Operator
from streamflow.actors.hooks import call_hook
from streamflow.channels.stats import OperatorStats
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
class Actor:
    op: Operator
    keys: dict[str, Any]
    stats: OperatorStats
    recorder: Recorder
    policy: FailurePolicy
    batch_size: int
    ordered: bool = True
    _seq: int = field(default=0, init=False)

    async def run(self, inbound: BatchReceive, outbound: BatchSend) -> None:
        self.stats.start()
        try:
            async with inbound, outbound:
                if self.op.workers == 1:
                    async for batch in inbound:
                        await self._send(outbound, await self.apply(batch))
                elif self.ordered:
                    await self._run_ordered(inbound, outbound)
                else:
                    await self._run_unordered(inbound, outbound)
        finally:
            self.stats.finish()

    async def apply(self, batch: Batch) -> Batch:
        """Run the operator on one batch; failed rows become dead letters, the rest go on."""
        stats = self.stats
        stats.rows_in += len(batch)
        stats.batches += 1
        started = time.perf_counter()
        try:
            outcome = self.op.outcome(batch, await call_hook(self.op, batch.rows, self.keys))
        except OperatorContractError:
            raise
        except Exception:
            outcome = await self._isolate(batch)
        stats.busy_seconds += time.perf_counter() - started
        stats.rows_out += len(outcome.batch)
        if outcome.dropped:
            stats.dropped += len(outcome.dropped)
            await self.recorder.dropped(
                [Dropped(self.op_label, d.id, d.reason) for d in outcome.dropped]
            )
        if outcome.failed:
            stats.failed += len(outcome.failed)
            await self.recorder.dead_letter(
                [DeadLetter(self.op_label, i, reason, row) for i, row, reason in outcome.failed]
            )
            self.policy.check(stats)
        return outcome.batch

    @property
    def op_label(self) -> str:
        return self.stats.name

    async def _isolate(self, batch: Batch) -> Outcome:
        """The batch raised: retry row by row so one bad row fails alone."""
        merged = Outcome(Batch([], []))
        for row_id, row in zip(batch.ids, batch.rows, strict=True):
            single = Batch([row_id], [row])
            try:
                result = await call_hook(self.op, [row], self.keys)
                one = self.op.outcome(single, result)
            except OperatorContractError:
                raise
            except Exception as exc:
                one = Outcome(Batch([], []), failed=[(row_id, row, _describe(exc))])
            merged.batch.ids += one.batch.ids
            merged.batch.rows += one.batch.rows
            merged.dropped += one.dropped
            merged.failed += one.failed
        return merged

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
            for _ in range(self.op.workers):
                tg.start_soon(worker, inbound.clone(), outbound.clone())

    async def _run_ordered(self, inbound: BatchReceive, outbound: BatchSend) -> None:
        """Workers run batches concurrently; an emitter releases them in arrival order.

        The window of slots is bounded by the worker count, so one slow batch holds back at
        most ``workers`` finished ones.
        """
        window_send, window_recv = anyio.create_memory_object_stream[_Slot](self.op.workers)
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
            for _ in range(self.op.workers):
                tg.start_soon(worker, work_recv.clone())
            work_recv.close()
            tg.start_soon(emit)


@dataclass
class _Slot:
    batch: Batch
    result: Batch | None = None
    done: anyio.Event = field(default_factory=anyio.Event)


def _describe(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, enough to find the bug from a dead letter."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
