"""The actor that runs one stage of a plan: pull batches, apply the operator(s), push the result.

A stage is one operator, or a run of cheap synchronous operators fused together so a batch
crosses into a worker thread once for the whole run instead of once per operator (each keeps
its own statistics). An actor owns its outbound channel and closes it when it is done, so end
of stream flows downstream by closing channels, never by sentinels. With several workers the
actor keeps input order by default (a bounded reorder window of ``workers`` batches) or, on
request, emits in completion order. Checkpoint barriers pass every actor in stream order: a
barrier leaves an actor only after every batch that came before it.

An expensive async stage (``expensive``, stateless, an ``async def`` hook) whose ``workers``
was not chosen and that declares the limit of what it waits on
(:attr:`~streamflow.actors.base.Operator.admission_limit`: an LLM operator's serving's
``max_in_flight``, the sandbox evaluator's runs in flight, a SQL execution step's connections
per database) works on several batches at once, enough to keep that limit busy across batch
boundaries: while the slow calls of one batch are pending (a straggling API call, a program
that runs to its time limit, a query that scans a large table), the rows of the next batches
already wait for a place, so a freed place is taken at once instead of idling until the batch's
slowest call returns. The window is explicit and bounded (:func:`window_for`: about
:data:`ROWS_PER_PLACE` rows per place of the admission limit), and a full window stops reading
the inbound channel (backpressure, as before). Such a stage calls its hook on chunks of a batch
(a fraction of the limit), so one slow call holds back few rows; each chunk is one hook call
whose results are committed together (a chunk is the unit of stored results, resume and
retries: dead letters and replays are unchanged); the stream's first chunk's worth of rows go
one per chunk, so the first row out waits on its own calls alone. Emission keeps input order
unless the run is unordered: finished chunks leave as soon as every row ahead of them has left,
merged again up to the batch size when they are ready together.

Consecutive windowed steps (three LLM generators in a row, say) share one such stage, chained:
a chunk goes on to the next step as soon as its own calls are answered, so a later step never
waits for an earlier step's straggler of other rows, and input order is restored once, where
the chained stage emits (order is observable only downstream of it: at the sink, or at a
stateful or whole-dataset step). A cheap stateless synchronous step after a windowed one (a
rule filter between two LLM steps) rides along in the chain, run on each chunk in a worker
thread: keeping no state, it does the same whatever order rows meet it. A row generator ends
a chain: the rows it makes from a chunk would otherwise travel the rest of the chain as one
chunk, each step waiting for the slowest of them (in B12 the first row came 40% later); the
next stage cuts them into chunks again. Each step still commits a chunk's results before the
next step sees them. Once the inbound stream has ended and rows have left, a chained stage
drains: earlier steps' calls are admitted first and chunks go on row by row
(:meth:`Actor._apply_chained`); once the run's source has ended and rows have reached its sink,
every stage admits earlier steps' calls first (:class:`Drain`). The window separates the two
bounds: at most ``chunks`` chunks under way (the rows asking for a place), and at most
:data:`REORDER_FACTOR` times that many held in all, finished ones waiting for a slow chunk
ahead of them included; a full window stops reading the inbound channel.

A whole-dataset stage (a :class:`~streamflow.actors.base.DatasetTransformer`, such as a
DataFlow DataFrame operator) is the one exception to streaming: it holds every row, and the
checkpoint barriers, until the end of the stream, then transforms them all at once and emits
the result in batches (see :meth:`Actor._run_whole_dataset`).

An :class:`Offload` moves a stage's work elsewhere (the Ray executor's worker pools) while the
actor stays here: it keeps the order, the barriers, the statistics, the dead letters and an
expensive step's stored results, so every contract holds wherever the hooks run.
"""

from __future__ import annotations

import inspect
import math
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream

from streamflow.actors.base import DatasetEvaluator, DatasetTransformer, Operator, OperatorKind
from streamflow.actors.hooks import call_hook
from streamflow.channels.items import Item, ItemReceive, ItemSend
from streamflow.channels.stats import OperatorStats, current_stats
from streamflow.errors import FailureLimitExceeded, OperatorContractError, RunStopped
from streamflow.rows import Barrier, Batch, DroppedRow, Failure, Outcome, Row, current_row_ids
from streamflow.serving.base import request_priority
from streamflow.store.deadletters import DeadLetter, Dropped
from streamflow.store.results import StoredResults


@dataclass
class FailurePolicy:
    """When failed rows stop being dead letters and start being a failed run."""

    max_failed_fraction: float = 0.1
    min_rows: int = 100

    def check(self, stats: OperatorStats, *, at_end: bool = False) -> None:
        """Raise :class:`FailureLimitExceeded` past the limit: while the run goes on once the
        step has seen ``min_rows`` rows, and ``at_end`` of the run whatever it saw."""
        if stats.rows_in == 0 or (stats.rows_in < self.min_rows and not at_end):
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
    kept: Callable[[int, Batch], Awaitable[None]] | None = None
    """Given the rows each step lets through (by step index) before they go on, if set."""


@dataclass
class BoundOp:
    """An operator with the keys ``run()`` bound, its step's statistics and stored results."""

    op: Operator
    keys: dict[str, Any]
    stats: OperatorStats
    results: StoredResults | None = None
    index: int = 0
    writes: tuple[str, ...] = ()
    depends_on: tuple[int, ...] = ()

    @property
    def branchable(self) -> bool:
        """A 1 -> 1 step that only adds fields and is not fused: may run beside independent
        neighbours on the same batch (two LLM generators reading the same text, say)."""
        return (
            self.op.kind in (OperatorKind.GENERATOR, OperatorKind.SAMPLE_EVALUATOR)
            and self.op.workers == 1
            and not self.fusable
            and not self.op.whole_dataset
        )

    @property
    def fusable(self) -> bool:
        """Cheap, synchronous, single-worker thread work: may share a thread hop with neighbours."""
        op = self.op
        return (
            op.workers == 1
            and op.executor_kind == "thread"
            and not op.expensive
            and not op.whole_dataset
            and not inspect.iscoroutinefunction(op.hook)
        )


StepResult = tuple[int, Outcome, float]
"""What one operator of a stage made of a batch: (rows in, outcome, seconds)."""


class Offload(Protocol):
    """Where a stage's hooks run when not in this process (the Ray executor's worker pools).

    The actor keeps everything else: order, barriers, statistics, dead letters, and an expensive
    step's stored results (looked up before :meth:`results`, committed after it).
    """

    concurrency: int
    """Batches the actor keeps in flight (its ``workers``)."""

    async def chain(self, batch: Batch) -> list[StepResult]:
        """A fused stage of cheap steps on one batch: what :func:`_apply_chain_sync` returns."""
        ...

    async def results(self, bound: BoundOp, ids: list[str], rows: list[Row]) -> list[Any]:
        """One step's per-row hook results (retried row by row, as
        :func:`_hook_results_async` does)."""
        ...


@dataclass
class Drain:
    """The run's drain, shared by its actors: the source has ended and rows have reached the
    sink, so what is left is to finish the rows under way, and every stage admits earlier
    steps' calls first (the rows with the longest way to go)."""

    source_ended: bool = False
    rows_out: bool = False

    @property
    def active(self) -> bool:
        return self.source_ended and self.rows_out


@dataclass
class Actor:
    ops: list[BoundOp]
    recorder: Recorder
    policy: FailurePolicy
    batch_size: int
    ordered: bool = True
    offload: Offload | None = None
    drain: Drain | None = None
    first: bool = False
    last: bool = False

    def __post_init__(self) -> None:
        many = len(self.ops) > 1
        self.parallel = many and all(b.branchable for b in self.ops) and _independent_all(self.ops)
        self.window = None if self.offload else window_for(self.ops, self.batch_size)
        self.chained = many and not self.parallel and self.window is not None
        if many and not (self.parallel or self.chained or all(b.fusable for b in self.ops)):
            raise ValueError(
                "only fusable, independent branchable or windowed expensive async operators "
                "share a stage"
            )
        self.reorder = 1
        self._rows_chunked = 0  # rows cut into chunks so far
        self._inbound_ended = False
        self._emitted = False  # rows have left: the first row's wait is over
        if self.offload:
            self.workers = self.offload.concurrency
        elif self.window:
            self.workers = self.window.chunks
            self.reorder = REORDER_FACTOR
        else:
            self.workers = self.ops[0].op.workers

    async def run(self, inbound: ItemReceive, outbound: ItemSend) -> None:
        for bound in self.ops:
            bound.stats.start()
        try:
            async with inbound, outbound:
                if self.ops[0].op.whole_dataset:
                    await self._run_whole_dataset(inbound, outbound)
                elif self.workers == 1:
                    async for item in inbound:
                        await self._emit(outbound, await self._process(item))
                elif self.ordered:
                    await self._run_ordered(inbound, outbound)
                else:
                    await self._run_unordered(inbound, outbound)
        finally:
            for bound in self.ops:
                bound.stats.finish()

    async def _run_whole_dataset(self, inbound: ItemReceive, outbound: ItemSend) -> None:
        """A :class:`~streamflow.actors.base.DatasetTransformer`: every row held until the end
        of the stream, then transformed at once (in a worker thread) and emitted in batches.

        Input rows whose ids are not among those it emits are recorded as dropped by it.
        Checkpoint barriers are held too: a barrier that went on while rows before it were held
        here would let the sink commit a position whose rows were never written, and a killed
        run would lose them. Intermediate barriers are dropped (no checkpoint is committed
        until the stage has emitted) and the final one leaves after the stage's rows, so a
        killed run restarts from the previous finished run's checkpoint: upstream expensive
        steps replay their stored results, and the transform runs again over the whole input.
        """
        bound = self.ops[0]
        op = bound.op
        assert isinstance(op, DatasetTransformer)
        held = Batch([], [])
        final: Barrier | None = None
        async for item in inbound:
            if isinstance(item, Barrier):
                final = item if item.final else final
                continue
            held.ids.extend(item.ids)
            held.rows.extend(item.rows)
            bound.stats.rows_in += len(item)
            bound.stats.batches += 1
        if held.rows:
            started = time.perf_counter()
            out = await anyio.to_thread.run_sync(_transform, bound, held)
            kept = set(out.ids)
            gone = [
                DroppedRow(row_id, op.name, f"not among the rows {op.name} emitted")
                for row_id in held.ids
                if row_id not in kept
            ]
            op.rows_in += len(held)
            op.rows_out += len(out)
            del held
            # the rows were counted in as they came; the transform is one more batch's work
            bound.stats.batches -= 1
            await self._record(bound, 0, Outcome(out, gone), time.perf_counter() - started)
            await self._emit(outbound, out)
        if final is not None:
            await self._emit(outbound, await self._process(final))

    async def _process(self, item: Item) -> Item:
        if isinstance(item, Barrier):
            for bound in self.ops:
                if isinstance(bound.op, DatasetEvaluator):
                    item.states[bound.stats.name] = bound.op.state_dict()
            return item
        return await self.apply(item)

    async def apply(self, batch: Batch) -> Batch:
        """Run the stage on one batch; failed rows become dead letters, the rest go on."""
        if self.parallel:
            return await self._apply_branches(batch)
        if self.chained:
            return await self._apply_chained(batch)
        if self.ops[0].fusable:
            if self.offload is not None:
                steps = await self.offload.chain(batch)
            else:
                steps = await anyio.to_thread.run_sync(_apply_chain_sync, self.ops, batch)
        else:
            started = time.perf_counter()
            outcome = await _apply_async(self.ops[0], batch, self.offload, self._priority(0))
            steps = [(len(batch), outcome, time.perf_counter() - started)]
        for bound, (rows_in, outcome, seconds) in zip(self.ops, steps, strict=False):
            await self._record(bound, rows_in, outcome, seconds)
            batch = outcome.batch
        return batch if len(steps) == len(self.ops) else Batch([], [])

    async def _apply_chained(self, batch: Batch, start: int = 0) -> Batch:
        """Windowed steps one after the other on one chunk: the chunk goes on to the next
        step as soon as its own calls are answered, whatever the other chunks are doing.
        Each step commits its results before the next starts, as separate stages would.

        Once the inbound stream has ended and rows have left (the drain), what remains is to
        finish the rows under way, as soon as possible: earlier steps' calls go first (a row
        with more calls ahead of it is on the longest path), and a chunk goes on row by row, so
        no row waits on a chunk mate's straggler (in B6 at L = 0.2 s, C = 64, an event
        simulation gives 0.96 of C/(3L) with both, 0.925 without)."""
        for k in range(start, len(self.ops)):
            if not batch.rows:
                break
            if self._draining and k > start and len(batch) > 1:
                return await self._apply_row_by_row(batch, k)
            bound = self.ops[k]
            if bound.fusable:  # a cheap step riding along: one thread hop for the chunk
                steps = await anyio.to_thread.run_sync(_apply_chain_sync, [bound], batch)
            else:
                started = time.perf_counter()
                outcome = await _apply_async(bound, batch, self.offload, self._priority(k))
                steps = [(len(batch), outcome, time.perf_counter() - started)]
            for rows_in, outcome, seconds in steps:
                await self._record(bound, rows_in, outcome, seconds)
                batch = outcome.batch
        return batch

    async def _apply_row_by_row(self, batch: Batch, start: int) -> Batch:
        """The rest of the chain from step ``start``, each row on its own; order kept."""
        parts: list[Batch] = [Batch([], [])] * len(batch)

        async def one(i: int) -> None:
            row = Batch([batch.ids[i]], [batch.rows[i]])
            parts[i] = await self._apply_chained(row, start)

        async with anyio.create_task_group() as tg:
            for i in range(len(batch)):
                tg.start_soon(one, i)
        return Batch([i for p in parts for i in p.ids], [r for p in parts for r in p.rows])

    @property
    def _draining(self) -> bool:
        """Time to finish the rows under way: this stage's inbound stream has ended and rows
        have left it, or the run's has (:class:`Drain`). Before any row has left, the first
        row's own calls still go first: in B12, whose 200 rows all fit in the window at once,
        draining from the start made it wait 2x longer."""
        return (self._inbound_ended and self._emitted) or self._run_draining

    def _source_ended(self) -> None:
        if self.first and self.drain is not None:
            self.drain.source_ended = True

    @property
    def _run_draining(self) -> bool:
        return self.drain is not None and self.drain.active

    def _priority(self, k: int) -> int:
        """The admission priority of step ``k``'s requests: later steps first while rows
        flow in (rows under way finish first, the first row soonest), earlier ones first in
        the drain (a row with more calls ahead of it is on the longest path)."""
        index = self.ops[k].index
        return -index if self._draining else index

    async def _apply_branches(self, batch: Batch) -> Batch:
        """Independent steps on the same batch at once; each one's new fields are merged.

        A row leaves only if every branch kept it; a branch that failed a row dead-letters it.
        """
        outcomes: list[Outcome | None] = [None] * len(self.ops)

        async def branch(i: int, bound: BoundOp) -> None:
            own = Batch(list(batch.ids), [dict(row) for row in batch.rows])
            started = time.perf_counter()
            outcome = outcomes[i] = await _apply_async(bound, own, self.offload)
            await self._record(bound, len(batch), outcome, time.perf_counter() - started)

        async with anyio.create_task_group() as tg:
            for i, bound in enumerate(self.ops):
                tg.start_soon(branch, i, bound)
        merged = {row_id: dict(row) for row_id, row in zip(batch.ids, batch.rows, strict=True)}
        for bound, outcome in zip(self.ops, outcomes, strict=True):
            assert outcome is not None
            survivors = dict(zip(outcome.batch.ids, outcome.batch.rows, strict=True))
            for row_id in list(merged):
                row = survivors.get(row_id)
                if row is None:
                    del merged[row_id]
                else:
                    merged[row_id].update((f, row[f]) for f in bound.writes if f in row)
        return Batch(list(merged), list(merged.values()))

    async def _record(self, bound: BoundOp, rows_in: int, outcome: Outcome, seconds: float) -> None:
        stats = bound.stats
        stats.rows_in += rows_in
        stats.batches += 1
        stats.busy_seconds += seconds
        stats.rows_out += len(outcome.batch)
        if self.recorder.kept is not None and len(outcome.batch):
            await self.recorder.kept(bound.index, outcome.batch)
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

    async def _emit(self, outbound: ItemSend, item: Item) -> None:
        """Pass an item on; a batch is split so no channel slot holds more than ``batch_size``."""
        if isinstance(item, Barrier):
            await outbound.send(item)
            return
        if not item.rows:
            return
        self._emitted = True
        if self.last and self.drain is not None:
            self.drain.rows_out = True
        if len(item) <= self.batch_size:
            await outbound.send(item)
            return
        for i in range(0, len(item), self.batch_size):
            await outbound.send(
                Batch(item.ids[i : i + self.batch_size], item.rows[i : i + self.batch_size])
            )

    def _chunks(self, item: Batch) -> list[Batch]:
        """A batch cut into the window's chunks (whole, outside a window). The stream's first
        chunk's worth of rows go one row per chunk: the first rows then wait on their own calls
        alone, not at every step on the slowest of their chunk mates' (in B12 the first row came
        2.8x sooner)."""
        if self.window is None:
            return [item]
        size = self.window.chunk
        single = min(len(item), max(0, size - self._rows_chunked))
        self._rows_chunked += len(item)
        starts = [*range(single), *range(single, len(item), size)]
        if len(starts) <= 1:
            return [item]
        ends = [*starts[1:], len(item)]
        return [Batch(item.ids[a:b], item.rows[a:b]) for a, b in zip(starts, ends, strict=True)]

    async def _run_unordered(self, inbound: ItemReceive, outbound: ItemSend) -> None:
        """Chunks leave as they finish; a barrier leaves once every chunk before it has left.

        Chunks after a barrier never overtake it (the sink's checkpoint would then count rows
        the source position says are still to do, and a resumed run would write them twice),
        but they do not wait for it to start either: they are worked on meanwhile, and those
        that finish first are held until it leaves. At most ``workers x reorder`` chunks are
        under way or held (``workers`` of them under way); a full window stops reading the
        inbound channel.
        """
        work_send, work_recv = anyio.create_memory_object_stream[tuple[_Epoch, Batch]]()
        room = anyio.Semaphore(self.workers * self.reorder)
        epochs: deque[_Epoch] = deque([_Epoch()])
        ended = False
        wake = anyio.Event()

        async def dispatch() -> None:
            nonlocal ended
            async with work_send:
                async for item in inbound:
                    if isinstance(item, Barrier):
                        epochs[-1].barrier = item
                        epochs.append(_Epoch())
                        wake.set()
                        continue
                    for chunk in self._chunks(item):
                        await room.acquire()
                        epoch = epochs[-1]
                        epoch.pending += 1
                        await work_send.send((epoch, chunk))
            ended = self._inbound_ended = True
            self._source_ended()
            wake.set()

        async def worker(work: MemoryObjectReceiveStream[tuple[_Epoch, Batch]]) -> None:
            async with work:
                async for epoch, batch in work:
                    result = await self.apply(batch)
                    epoch.finished.append(result)  # the list as it is now: emit swaps it
                    epoch.pending -= 1
                    wake.set()

        async def emit() -> None:
            nonlocal wake
            while True:
                wake = anyio.Event()
                head = epochs[0]
                if head.finished:  # chunks done together leave together, cut to batches
                    finished, head.finished = head.finished, []
                    merged = Batch([i for b in finished for i in b.ids], [])
                    merged.rows = [row for b in finished for row in b.rows]
                    await self._emit(outbound, merged)
                    for _ in finished:
                        room.release()
                    continue
                if not head.pending and head.barrier is not None:
                    await self._emit(outbound, await self._process(head.barrier))
                    epochs.popleft()
                    continue
                if not head.pending and ended and len(epochs) == 1:
                    return
                await wake.wait()

        async with anyio.create_task_group() as tg:
            tg.start_soon(dispatch)
            for _ in range(self.workers):
                tg.start_soon(worker, work_recv.clone())
            work_recv.close()
            tg.start_soon(emit)

    async def _run_ordered(self, inbound: ItemReceive, outbound: ItemSend) -> None:
        """Workers run batches concurrently; an emitter releases them in arrival order.

        The window of slots is bounded by the worker count, so one slow batch holds back at
        most ``workers`` finished ones; a windowed stage's window is :data:`REORDER_FACTOR`
        times its chunks under way, so a slow chunk at its head holds back finished chunks
        without stopping new ones from starting (until the window is full). A barrier takes a
        slot already done: it leaves after every batch ahead of it.
        """
        window_send, window_recv = anyio.create_memory_object_stream[_Slot](
            self.workers * self.reorder
        )
        work_send, work_recv = anyio.create_memory_object_stream[_Slot]()

        async def dispatch() -> None:
            async with window_send, work_send:
                async for item in inbound:
                    parts: Sequence[Item] = (
                        [item] if isinstance(item, Barrier) else self._chunks(item)
                    )
                    for part in parts:
                        slot = _Slot(part)
                        await window_send.send(slot)
                        if isinstance(part, Barrier):
                            slot.result = part
                            slot.done.set()
                        else:
                            await work_send.send(slot)
                self._inbound_ended = True
                self._source_ended()

        async def worker(work: MemoryObjectReceiveStream[_Slot]) -> None:
            async with work:
                async for slot in work:
                    assert isinstance(slot.item, Batch)
                    slot.result = await self.apply(slot.item)
                    slot.done.set()

        async def emit() -> None:
            async with window_recv:
                slot: _Slot | None = None
                while True:
                    if slot is None:
                        try:
                            slot = await window_recv.receive()
                        except anyio.EndOfStream:
                            return
                    await slot.done.wait()
                    result, slot = slot.result, None
                    assert result is not None
                    while isinstance(result, Batch) and len(result) < self.batch_size:
                        try:  # chunks done behind it leave with it, up to a batch
                            slot = window_recv.receive_nowait()
                        except (anyio.WouldBlock, anyio.EndOfStream):
                            break
                        if not slot.done.is_set() or not isinstance(slot.result, Batch):
                            break
                        result = Batch(result.ids + slot.result.ids, result.rows + slot.result.rows)
                        slot = None
                    await self._emit(outbound, result)

        async with anyio.create_task_group() as tg:
            tg.start_soon(dispatch)
            for _ in range(self.workers):
                tg.start_soon(worker, work_recv.clone())
            work_recv.close()
            tg.start_soon(emit)


ROWS_PER_PLACE = 8
"""How many rows an expensive async stage keeps under way per place of its admission limit:
one place's worth in flight, the rest already started while the oldest chunk waits on its
slowest call (a long-tailed API's slowest of a few hundred calls takes about ten mean
latencies, and stages sharing one serving each need their share of that). Measured in B6."""

REORDER_FACTOR = 4
"""A windowed stage that keeps input order holds at most this many times its chunks under
way, finished or not: a slow chunk at the head of the window holds back the finished chunks
behind it, but new chunks keep starting until the window is full. The bound on rows held in
the stage is ``REORDER_FACTOR x chunks x chunk`` (plus the inbound batch being cut)."""

CHUNKS_PER_LIMIT = 16
"""A windowed stage calls its hook on chunks of about ``limit / CHUNKS_PER_LIMIT`` rows: small
enough that a chunk's slowest call holds back few rows (a chained stage's chunk moves to its
next step only when all its calls are answered), large enough that per-call costs (the hook,
the store's commit) stay small next to the requests. Measured in B6 (in-process slot use at
C=64, L=0.2 s lognormal: a quarter of the limit 0.89-0.91, a sixteenth 0.92-0.93, one row
0.935-0.94 for 40% more client CPU)."""


@dataclass(frozen=True)
class Window:
    """How an expensive async stage spreads its rows over its admission limit."""

    chunk: int
    """Rows per hook call (an inbound batch is split into chunks of at most this many)."""
    chunks: int
    """Chunks under way at once. With the one at the head of the window, the stage holds at
    most ``(chunks + 1) x chunk`` rows, plus the rest of the inbound batch being cut."""


def admission_limit(op: Operator) -> int | None:
    """The limit of what ``op`` waits on (:attr:`Operator.admission_limit`: a serving's
    ``max_in_flight``, a sandbox's runs in flight, a database's connections), if it declares a
    positive one."""
    limit = getattr(op, "admission_limit", None)
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None


def window_for(ops: list[BoundOp], batch_size: int) -> Window | None:
    """The window of an expensive async stage; ``None`` for every other stage.

    A stage qualifies when each of its operators is expensive, stateless, awaits its hook,
    declares an admission limit (:func:`admission_limit`) and has no ``workers`` chosen by the
    user (a chosen count always wins: the stage then works on that many whole batches, as
    before); in a chained stage, cheap stateless synchronous steps between or after such
    steps ride along (:func:`_rides_along`). Chunks hold
    ``min(batch_size, ceil(limit / CHUNKS_PER_LIMIT))`` rows, and enough of them run at once to
    hold ``ROWS_PER_PLACE x limit`` rows. A step that asks for larger chunks
    (:attr:`~streamflow.actors.base.Operator.min_window_chunk`: SQL queries) gets them, and at
    least ``2 x limit`` of them under way: slow calls can hold at most ``limit`` chunks (one
    place each), and the others keep the free places fed.
    """
    limits, smallest = [], 1
    for i, bound in enumerate(ops):
        limit = _window_limit(bound.op)
        if limit is not None:
            limits.append(limit)
            smallest = max(smallest, int(getattr(bound.op, "min_window_chunk", 1)))
        elif not (i and _rides_along(bound)):
            return None
    limit = max(limits)
    chunk = max(1, min(batch_size, math.ceil(limit / CHUNKS_PER_LIMIT)))
    if smallest > chunk and batch_size > chunk:
        chunk = min(batch_size, smallest)
        return Window(chunk, max(2 * limit, math.ceil(ROWS_PER_PLACE * limit / chunk)))
    return Window(chunk, max(2, math.ceil(ROWS_PER_PLACE * limit / chunk)))


def _window_limit(op: Operator) -> int | None:
    """The admission limit a windowed step spreads its rows over; ``None`` if not windowed."""
    limit = admission_limit(op)
    if (
        limit is None
        or not op.expensive
        or op.stateful
        or getattr(op, "workers_chosen", False)
        or not inspect.iscoroutinefunction(op.hook)
    ):
        return None
    return limit


def _rides_along(bound: BoundOp) -> bool:
    """A cheap stateless synchronous step (a rule filter, a field rewrite) that may join a
    chained stage after a windowed step: it runs on each chunk in a worker thread, and since
    it keeps no state, meeting rows in completion order changes nothing it does."""
    return bound.fusable and not bound.op.stateful and not isinstance(bound.op, DatasetEvaluator)


def stages(
    ops: list[BoundOp], fuse: bool, where: Callable[[BoundOp], Any] | None = None
) -> list[list[BoundOp]]:
    """Group consecutive steps into stages: cheap synchronous ones fused into one thread hop
    (when ``fuse``), independent branchable ones run side by side on the same batch, and
    consecutive windowed expensive async steps (:func:`window_for`) chained in one windowed
    stage, where each chunk goes from step to step as soon as its own calls are answered and
    input order is restored once, where the chained stage emits. With ``where`` (a step's
    place: this process, a worker pool), only steps in the same place share a stage, and
    steps are never chained (an offloaded stage has no window)."""
    grouped: list[list[BoundOp]] = []
    for bound in ops:
        apart = grouped and where is not None and where(bound) != where(grouped[-1][-1])
        if grouped and not apart and _joins(bound, grouped[-1], fuse, chain=where is None):
            grouped[-1].append(bound)
        else:
            grouped.append([bound])
    return grouped


def _joins(bound: BoundOp, stage: list[BoundOp], fuse: bool, chain: bool) -> bool:
    if bound.fusable and all(b.fusable for b in stage):
        return fuse
    side_by_side = len(stage) == 1 or (all(b.branchable for b in stage) and _independent_all(stage))
    if (
        side_by_side
        and all(b.branchable for b in (*stage, bound))
        and _independent(bound, stage)
        and _windowed_alike([*stage, bound])
    ):
        return True
    return (
        chain
        and (fuse or not bound.fusable)  # a cheap step rides along only where steps may share
        and not (len(stage) > 1 and side_by_side)
        and stage[-1].op.kind is not OperatorKind.ROW_GENERATOR
        and window_for([*stage, bound], 1) is not None
    )


def _windowed_alike(group: list[BoundOp]) -> bool:
    """Steps may run side by side only if that keeps each one's window: together they are
    windowed, or none of them would be alone. An LLM step beside a cheap async step (in
    text2sql_gen, the CoT generator beside the prompt builder) would otherwise lose its window
    and work on one batch at a time (B11: 0.78 of the ideal instead of 0.93)."""
    return window_for(group, 1) is not None or all(_window_limit(b.op) is None for b in group)


def _independent_all(group: list[BoundOp]) -> bool:
    """No step of ``group`` depends on or writes what an earlier one does."""
    return all(_independent(b, group[:i]) for i, b in enumerate(group) if i)


def _independent(bound: BoundOp, group: list[BoundOp]) -> bool:
    """Reads nothing the group writes, writes nothing it writes: the DAG has no edge between."""
    indexes = {b.index for b in group}
    written = {f for b in group for f in b.writes}
    return not indexes & set(bound.depends_on) and not written & set(bound.writes)


@dataclass
class _Epoch:
    """The chunks an unordered stage took in between two barriers."""

    pending: int = 0
    """Chunks under way."""
    finished: list[Batch] = field(default_factory=list)
    """Chunks done, not yet emitted (held while an earlier barrier waits)."""
    barrier: Barrier | None = None
    """The barrier that ends the epoch, once it came."""


@dataclass
class _Slot:
    item: Item
    result: Item | None = None
    done: anyio.Event = field(default_factory=anyio.Event)


def _transform(bound: BoundOp, batch: Batch) -> Batch:
    """In a worker thread: a dataset transformer over every row it held, its result checked."""
    op = bound.op
    assert isinstance(op, DatasetTransformer)
    stats_token = current_stats.set(bound.stats)
    ids_token = current_row_ids.set(batch.ids)
    try:
        out = op.transform(batch, **bound.keys)
    finally:
        current_row_ids.reset(ids_token)
        current_stats.reset(stats_token)
    if not isinstance(out, Batch) or len(out.ids) != len(out.rows):
        raise OperatorContractError(
            f"{op.name}.transform must return a Batch with one id per row, got {type(out).__name__}"
        )
    if len(set(out.ids)) != len(out.ids):
        raise OperatorContractError(f"{op.name}.transform returned rows with duplicate ids")
    return out


def _apply_chain_sync(ops: list[BoundOp], batch: Batch) -> list[StepResult]:
    """In a worker thread: each operator in turn; stops early once no row is left."""
    steps = []
    for bound in ops:
        if not batch.rows:
            break
        started = time.perf_counter()
        stats_token = current_stats.set(bound.stats)
        try:
            outcome = bound.op.outcome(batch, _hook_results_sync(bound, batch.ids, batch.rows))
        finally:
            current_stats.reset(stats_token)
        steps.append((len(batch), outcome, time.perf_counter() - started))
        batch = outcome.batch
    return steps


_Call = tuple[list[str], list[Row]]
"""One call of a hook: the row ids (set as :func:`~streamflow.rows.row_ids`) and the rows."""


def _retrying(op: Operator, ids: list[str], rows: list[Row]) -> Generator[_Call, Any, list[Any]]:
    """The hook's per-row results: the whole batch first; if the hook raises, each row alone,
    so one bad row fails only itself (a transient failure: a resumed run tries it again).

    The one retry algorithm for every way of calling a hook: it yields each call to make and is
    sent the hook's result, or thrown its exception; it returns the results. A broken contract
    (:class:`~streamflow.errors.OperatorContractError`) is a bug, never a row's failure.
    """
    try:
        return op.check_results(rows, (yield ids, rows))
    except OperatorContractError:
        raise
    except Exception as exc:
        _raise_if_stopping(exc)
    results: list[Any] = []
    for row_id, row in zip(ids, rows, strict=True):
        try:
            results += op.check_results([row], (yield [row_id], [row]))
        except OperatorContractError:
            raise
        except Exception as exc:
            _raise_if_stopping(exc)
            results.append(Failure(_describe(exc), transient=True))
    return results


def _raise_if_stopping(exc: BaseException) -> None:
    """Re-raise a :class:`~streamflow.errors.RunStopped` (alone or in a task group's
    exception group): it stops the run, it is no row's failure."""
    if isinstance(exc, RunStopped):
        raise exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            _raise_if_stopping(inner)


def _hook_results_sync(bound: BoundOp, ids: list[str], rows: list[Row]) -> list[Any]:
    """:func:`_retrying` with the hook called here, in the calling (worker) thread."""
    retry = _retrying(bound.op, ids, rows)
    try:
        call_ids, call_rows = next(retry)
        while True:
            error: Exception | None = None
            token = current_row_ids.set(call_ids)
            try:
                result = bound.op.hook(call_rows, **bound.keys)
            except Exception as exc:
                result, error = None, exc
            finally:
                current_row_ids.reset(token)
            call_ids, call_rows = retry.send(result) if error is None else retry.throw(error)
    except StopIteration as done:
        results: list[Any] = done.value
        return results


async def _hook_results_async(bound: BoundOp, ids: list[str], rows: list[Row]) -> list[Any]:
    """:func:`_retrying` with the hook awaited, or sent to its thread or process.

    An ``async def`` hook's rows are retried concurrently (at most the operator's admission
    limit, or :data:`RETRY_CONCURRENCY`, at once) rather than one after the other: a batch of
    64 requests where one raises costs two rounds of calls, not 65.
    """
    if inspect.iscoroutinefunction(bound.op.hook):
        return await _concurrent_retrying(bound, ids, rows)
    retry = _retrying(bound.op, ids, rows)
    try:
        call_ids, call_rows = next(retry)
        while True:
            error: Exception | None = None
            token = current_row_ids.set(call_ids)
            try:
                result = await call_hook(bound.op, call_rows, bound.keys)
            except Exception as exc:
                result, error = None, exc
            finally:
                current_row_ids.reset(token)
            call_ids, call_rows = retry.send(result) if error is None else retry.throw(error)
    except StopIteration as done:
        results: list[Any] = done.value
        return results


RETRY_CONCURRENCY = 16
"""Rows of a raising batch retried at once by an awaited hook that declares no admission
limit."""


async def _concurrent_retrying(bound: BoundOp, ids: list[str], rows: list[Row]) -> list[Any]:
    """:func:`_retrying`'s algorithm for an awaited hook, with the single rows retried at once."""
    op = bound.op

    async def call(call_ids: list[str], call_rows: list[Row]) -> list[Any]:
        token = current_row_ids.set(call_ids)
        try:
            return op.check_results(call_rows, await call_hook(op, call_rows, bound.keys))
        finally:
            current_row_ids.reset(token)

    try:
        return await call(ids, rows)
    except OperatorContractError:
        raise
    except Exception as exc:
        _raise_if_stopping(exc)
    results: list[Any] = [None] * len(rows)
    broken: list[OperatorContractError] = []
    limiter = anyio.CapacityLimiter(admission_limit(op) or RETRY_CONCURRENCY)

    async def alone(i: int) -> None:
        async with limiter:
            try:
                results[i] = (await call([ids[i]], [rows[i]]))[0]
            except OperatorContractError as exc:
                broken.append(exc)
            except Exception as exc:
                _raise_if_stopping(exc)
                results[i] = Failure(_describe(exc), transient=True)

    async with anyio.create_task_group() as tg:
        for i in range(len(rows)):
            tg.start_soon(alone, i)
    if broken:
        raise broken[0]
    return results


async def _apply_async(
    bound: BoundOp, batch: Batch, offload: Offload | None = None, priority: int | None = None
) -> Outcome:
    """One operator on one batch; an expensive one replays stored results and commits new
    ones (in one transaction) before they go downstream. With an ``offload`` the hook runs
    there; the stored results stay here. A saturated serving admits requests by ``priority``
    (the step's position unless given: later steps first)."""
    hook_results = _hook_results_async if offload is None else offload.results
    token = current_stats.set(bound.stats)
    priority_token = request_priority.set(bound.index if priority is None else priority)
    try:
        if bound.results is None:
            return bound.op.outcome(batch, await hook_results(bound, batch.ids, batch.rows))
        stored = await anyio.to_thread.run_sync(bound.results.get, batch.ids)
        results: list[Any] = [None] * len(batch)
        rows = list(batch.rows)
        todo = []
        for i, hit in enumerate(stored):
            if hit is None:
                todo.append(i)
            else:
                results[i], row = hit
                if row is not None:
                    rows[i] = row
        if todo:
            ids = [batch.ids[i] for i in todo]
            given = [rows[i] for i in todo]
            fresh = await hook_results(bound, ids, given)
            keep_rows = given if bound.op.kind == OperatorKind.FILTER else None
            await anyio.to_thread.run_sync(bound.results.put, ids, fresh, keep_rows)
            for i, result in zip(todo, fresh, strict=True):
                results[i] = result
        return bound.op.outcome(Batch(batch.ids, rows), results)
    finally:
        request_priority.reset(priority_token)
        current_stats.reset(token)


def _describe(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, enough to find the bug from a dead letter.

    A task group's exception group is described by its first error, not as "unhandled errors
    in a TaskGroup"."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


apply_chain = _apply_chain_sync
"""A fused stage of cheap steps on one batch, in the calling thread (what an offload runs)."""
hook_results = _hook_results_async
"""One step's per-row hook results, retried row by row (what an offload runs)."""
