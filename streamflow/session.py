"""A pipeline running inside an async service: rows go in one at a time, results stream out.

The session's input is a bounded channel of rows; its producer gathers whatever rows are
waiting (up to a batch) without waiting for a full batch, so a lightly loaded service gets low
latency and a busy one gets full batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NamedTuple

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from streamflow.channels.items import ItemReceive, ItemSend
from streamflow.channels.stats import OperatorStats
from streamflow.executors import (
    Consumer,
    Producer,
    RunContext,
    RunOptions,
    RunResult,
    root_cause,
    run_plan,
)
from streamflow.plan import Plan
from streamflow.rows import Barrier, Batch, Row
from streamflow.serving.base import servings_started


class Result(NamedTuple):
    id: str
    row: Row


class Session:
    """Send rows with :meth:`send`, end the input with :meth:`close`, iterate :class:`Result`s."""

    def __init__(
        self,
        inbox: MemoryObjectSendStream[tuple[str, Row]],
        outbox: MemoryObjectReceiveStream[Batch],
    ) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self._sent = 0
        self.result: RunResult | None = None
        """The run's statistics, dead letters and reports, once the session has ended."""

    async def send(self, row: Row, id: str | None = None) -> str:
        """Queue one row (waits while the pipeline is saturated); returns its id."""
        row_id = id if id is not None else f"session:{self._sent}"
        self._sent += 1
        await self._inbox.send((row_id, row))
        return row_id

    async def close(self) -> None:
        """End of input: the pipeline finishes the rows in flight, then results end."""
        await self._inbox.aclose()

    async def __aiter__(self) -> AsyncIterator[Result]:
        async for batch in self._outbox:
            for row_id, row in zip(batch.ids, batch.rows, strict=True):
                yield Result(row_id, row)


@asynccontextmanager
async def open_session(
    plan: Plan, options: RunOptions, context: RunContext | None = None
) -> AsyncIterator[Session]:
    """Run ``plan`` through the same runtime as a pipeline run, fed by the session's inbox.

    Starts the servings the plan uses (and closes those it started); ``context`` defaults to
    an in-memory one.
    """
    inbox_send, inbox_recv = anyio.create_memory_object_stream[tuple[str, Row]](options.batch_size)
    outbox_send, outbox_recv = anyio.create_memory_object_stream[Batch](options.capacity)
    session = Session(inbox_send, outbox_recv)

    async def produce(send: ItemSend, stats: OperatorStats) -> None:
        async with inbox_recv:
            async for first in inbox_recv:
                items = [first]
                while len(items) < options.batch_size:
                    try:
                        items.append(inbox_recv.receive_nowait())
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                stats.rows_out += len(items)
                stats.batches += 1
                await send.send(Batch([i for i, _ in items], [r for _, r in items]))

    async def consume(receive: ItemReceive, stats: OperatorStats) -> None:
        async with outbox_send:
            async for batch in receive:
                if isinstance(batch, Barrier):
                    continue
                stats.rows_in += len(batch)
                stats.rows_out += len(batch)
                stats.batches += 1
                await outbox_send.send(batch)

    async def run() -> None:
        session.result = await run_plan(
            plan,
            Producer("source", produce),
            Consumer("sink", consume),
            options=options,
            context=context if context is not None else RunContext.in_memory(),
        )

    try:
        async with servings_started(plan.servings()), anyio.create_task_group() as tg:
            tg.start_soon(run)
            try:
                yield session
            except BaseException:
                tg.cancel_scope.cancel()
                raise
            await session.close()
            async with outbox_recv:
                async for _ in outbox_recv:  # results nobody read: let the run finish
                    pass
    except BaseExceptionGroup as group:
        raise root_cause(group) from None
