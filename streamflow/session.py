"""A pipeline running inside an async service: rows go in one at a time, results stream out.

The session's input is a bounded channel of rows; its producer gathers whatever rows are
waiting (up to a batch) without waiting for a full batch, so a lightly loaded service gets low
latency and a busy one gets full batches.

What a consumer can count on:

- Every row that leaves the pipeline, and every row that failed, is yielded exactly once, whatever
  the consumer does: a ``break`` or a cancelled ``async for`` loses nothing, and iterating again
  goes on with the next result. Rows that reach the end come in input order; a failed row comes
  as a :class:`Result` with ``error`` set (``"Step: reason"``; once, even when parallel steps
  both fail it), when it fails (possibly ahead of earlier rows still under way). Rows a filter
  dropped are not results (``session.result`` counts them).
- The results end once :meth:`Session.close` was called and the last row has left.
- One open session per operator: operators keep state (dedup sets, dataset metrics) across a
  run, so a second session on the same pipeline object while the first is open is refused
  (:class:`SessionError`); open it on a new instance of the pipeline.
- ``send`` after ``close`` (or after the session has ended) raises :class:`SessionError`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NamedTuple

import anyio
import anyio.from_thread
from anyio.streams.memory import MemoryObjectSendStream

from streamflow.channels.items import ItemReceive, ItemSend
from streamflow.channels.stats import OperatorStats
from streamflow.errors import StreamflowError
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
from streamflow.store.deadletters import DeadLetter, RecordLog
from streamflow.store.runstore import RunStore

__all__ = ["Result", "Session", "SessionError", "open_session"]


class SessionError(StreamflowError):
    """A session used out of turn: input sent after the end, or a second session at once."""


class Result(NamedTuple):
    """One row out of the session; ``error`` is ``"Step: reason"`` when the row failed (the
    row is then the one that went into the failing step)."""

    id: str
    row: Row
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Session:
    """Send rows with :meth:`send`, end the input with :meth:`close`, iterate :class:`Result`s."""

    def __init__(self, inbox: MemoryObjectSendStream[tuple[str, Row]], held: int) -> None:
        self._inbox = inbox
        self._sent = 0
        self._closed = False
        self._ready: deque[Result] = deque()
        self._held = held  # results kept before the pipeline's sink waits for the consumer
        self._changed = anyio.Event()
        self._ended = False
        self._discarding = False
        self._failed_ids: set[str] = set()  # a row failed by two parallel branches comes once
        self._loop_thread = threading.get_ident()
        self.result: RunResult | None = None
        """The run's statistics, dead letters and reports, once the session has ended."""

    async def send(self, row: Row, id: str | None = None) -> str:
        """Queue one row (waits while the pipeline is saturated); returns its id."""
        if self._closed:
            raise SessionError("this session's input is closed (close() was called): send no more")
        row_id = id if id is not None else f"session:{self._sent}"
        try:
            await self._inbox.send((row_id, row))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            raise SessionError(
                "this session has ended (its run stopped): no more rows can be sent"
            ) from None
        self._sent += 1
        return row_id

    async def close(self) -> None:
        """End of input: the pipeline finishes the rows in flight, then results end."""
        self._closed = True
        await self._inbox.aclose()

    def __aiter__(self) -> Session:
        return self

    async def __anext__(self) -> Result:
        """The next result; a result is taken only as it is returned, so a consumer that
        breaks out or is cancelled while waiting loses none."""
        while not self._ready:
            if self._ended:
                raise StopAsyncIteration
            await self._changed.wait()
        result = self._ready.popleft()
        self._notify()  # room for the sink
        return result

    # -- the run's side ---------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def _deliver(self, batch: Batch) -> None:
        """Results that reached the end; waits while the consumer is behind (backpressure)."""
        while len(self._ready) >= self._held and not self._discarding:
            await self._changed.wait()
        if not self._discarding:
            self._ready.extend(Result(i, r) for i, r in zip(batch.ids, batch.rows, strict=True))
            self._notify()

    def _failed(self, letters: list[DeadLetter]) -> None:
        """Failed rows, as the run records them (from a worker thread when store-backed)."""
        if threading.get_ident() != self._loop_thread:
            anyio.from_thread.run_sync(self._failed, letters)
            return
        fresh = [d for d in letters if d.id not in self._failed_ids]
        self._failed_ids.update(d.id for d in fresh)
        if fresh and not self._discarding:
            self._ready.extend(Result(d.id, d.row or {}, f"{d.operator}: {d.error}") for d in fresh)
            self._notify()

    def _end(self) -> None:
        self._ended = True
        self._notify()

    def _discard(self) -> None:
        """The consumer has gone: drop what is left so the run can finish."""
        self._discarding = True
        self._ready.clear()
        self._notify()


class _StreamedDeadLetters(RecordLog[DeadLetter]):
    """Dead letters that are also yielded by the session as failed results."""

    def __init__(self, session: Session, store: RunStore | None) -> None:
        super().__init__(DeadLetter, store)
        self._session = session

    def add(self, records: list[DeadLetter]) -> None:
        super().add(records)
        self._session._failed(records)


_IN_SESSION: set[int] = set()
"""``id()`` of the operators of every open session."""


@asynccontextmanager
async def open_session(
    plan: Plan, options: RunOptions, context: RunContext | None = None
) -> AsyncIterator[Session]:
    """Run ``plan`` through the same runtime as a pipeline run, fed by the session's inbox.

    Starts the servings the plan uses (and closes those it started); ``context`` defaults to
    an in-memory one. Refuses a plan whose operators already serve another open session.
    """
    ops = {id(step.op): step.label for step in plan.steps}
    shared = [label for key, label in ops.items() if key in _IN_SESSION]
    if shared:
        raise SessionError(
            f"{', '.join(shared)} already serve(s) another open session: an operator keeps one "
            "state (dedup sets, dataset metrics) per run, and two sessions at once would mix "
            "their rows. Close the first session, or open this one on a new instance of the "
            "pipeline."
        )
    inbox_send, inbox_recv = anyio.create_memory_object_stream[tuple[str, Row]](options.batch_size)
    session = Session(inbox_send, max(options.batch_size * options.capacity, 1))
    base = context if context is not None else RunContext.in_memory()
    context = RunContext(
        _StreamedDeadLetters(session, base.store),
        base.dropped,
        base.store,
        base.fingerprints,
        base.states,
    )

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
        async for batch in receive:
            if isinstance(batch, Barrier):
                continue
            stats.rows_in += len(batch)
            stats.rows_out += len(batch)
            stats.batches += 1
            await session._deliver(batch)

    async def run() -> None:
        try:
            session.result = await run_plan(
                plan,
                Producer("source", produce),
                Consumer("sink", consume),
                options=options,
                context=context,
            )
        finally:
            session._end()

    _IN_SESSION.update(ops)
    try:
        async with servings_started(plan.servings()), anyio.create_task_group() as tg:
            tg.start_soon(run)
            try:
                yield session
            except BaseException:
                tg.cancel_scope.cancel()
                raise
            finally:
                session._closed = True
            await session.close()
            session._discard()  # results nobody read: let the run finish
    except BaseExceptionGroup as group:
        raise root_cause(group) from None
    finally:
        _IN_SESSION.difference_update(ops)
