"""The actor graph of one plan: source -> operator actors -> sink in one task group, over
bounded channels.

Each channel holds at most ``capacity`` batches of at most ``batch_size`` rows, so a slow stage
fills its inbound channel and blocks its producers: memory stays bounded whatever the input
size. Every actor closes its outbound channel when it finishes, which is how end of stream
reaches the sink. Any fatal error (or Ctrl-C) cancels the whole group: no task outlives the run.

The local executor runs a file source into a file sink through it; a session runs rows a
service sends; a retry of requeued dead letters runs rows held in memory. What fills the first
channel and drains the last is all that differs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from streamflow.actors.actor import Actor, BoundOp, Drain, FailurePolicy, Recorder, stages
from streamflow.actors.base import DatasetEvaluator
from streamflow.channels.items import ItemReceive, ItemSend, depth, open_channel
from streamflow.channels.stats import OperatorStats, RunStats
from streamflow.errors import FailureLimitExceeded
from streamflow.executors.base import Monitor, RunOptions, RunResult
from streamflow.executors.context import RunContext
from streamflow.io.sinks import Sink, open_sink
from streamflow.plan import Plan
from streamflow.rows import Batch
from streamflow.store.deadletters import DeadLetters, DropLog, common_reasons
from streamflow.store.results import StoredResults
from streamflow.store.state import MemoryState, StoreState


@dataclass(frozen=True, slots=True)
class Producer:
    """Fills the first channel (counting into the source's stats) and closes it at end of input."""

    name: str
    """The source's name in the statistics."""
    fill: Callable[[ItemSend, OperatorStats], Awaitable[None]]

    async def __call__(self, send: ItemSend, stats: OperatorStats) -> None:
        await self.fill(send, stats)


@dataclass(frozen=True, slots=True)
class Consumer:
    """Drains the last channel (counting into the sink's stats)."""

    name: str
    """The sink's name in the statistics."""
    drain: Callable[[ItemReceive, OperatorStats], Awaitable[None]]

    async def __call__(self, receive: ItemReceive, stats: OperatorStats) -> None:
        await self.drain(receive, stats)


async def run_plan(
    plan: Plan,
    producer: Producer,
    consumer: Consumer,
    *,
    options: RunOptions,
    context: RunContext,
    monitor: Monitor | None = None,
    check_at_end: bool = False,
    step_files: Sequence[Path] = (),
    leading: Sequence[OperatorStats] = (),
) -> RunResult:
    """Run ``plan`` between ``producer`` and ``consumer``.

    With a store in ``context``, expensive steps replay and commit their results under their
    step's fingerprint, stateful steps keep their state there, and the context's ``states``
    (from the last checkpoint) restore dataset evaluators. ``check_at_end`` applies the
    failure limit at the end to steps that saw too few rows for it to apply while running (a
    run of 24 rows that all failed is a failed run). ``step_files`` (one per step) also get
    the rows each step lets through, as they leave it; they are started afresh. ``leading``:
    the statistics of steps the producer ran before ``plan``'s (on input shards), shown first.
    """
    stats = RunStats(
        [OperatorStats(producer.name, "source"), *leading]
        + [OperatorStats(s.label, s.op.kind) for s in plan.steps]
        + [OperatorStats(consumer.name, "sink")]
    )
    dead_letters, dropped, store = context.dead_letters, context.dropped, context.store
    step_sinks = [await anyio.to_thread.run_sync(open_sink, path) for path in step_files]
    recorder = Recorder(
        dead_letter=lambda letters: _log(dead_letters, letters),
        dropped=lambda drops: _log(dropped, drops),
        kept=_writer(step_sinks) if step_sinks else None,
    )
    policy = FailurePolicy(options.max_failed_fraction, options.min_rows_for_failure_limit)
    fingerprints, states, placement = context.fingerprints, context.states, context.placement
    bound = []
    for i, step in enumerate(plan.steps):
        op = step.op
        fp = fingerprints[i] if fingerprints else step.label
        results = StoredResults(store, fp) if store is not None and op.expensive else None
        op.open_state(StoreState(store, fp) if store is not None else MemoryState())
        if isinstance(op, DatasetEvaluator) and states and step.label in states:
            op.load_state_dict(states[step.label])
        step_stats = stats.steps[len(leading) + i + 1]
        bound.append(BoundOp(op, step.keys, step_stats, results, i, step.writes, step.depends_on))
    drain = Drain()
    grouped = stages(bound, options.fuse, placement.remote if placement else None)
    actors = [
        Actor(
            ops=stage,
            recorder=recorder,
            policy=policy,
            batch_size=options.batch_size,
            ordered=options.ordered,
            offload=placement.offload(stage) if placement is not None else None,
            drain=drain,
            first=i == 0,
            last=i == len(grouped) - 1,
        )
        for i, stage in enumerate(grouped)
    ]
    channels = [open_channel(options.capacity) for _ in range(len(actors) + 1)]
    for i, actor in enumerate(actors):
        actor.ops[0].stats.queue_depth = depth(channels[i][1])
    stats.sink.queue_depth = depth(channels[-1][1])

    try:
        try:
            await _run_group(producer, consumer, actors, channels, stats, monitor)
        except BaseExceptionGroup as group:
            raise root_cause(group) from None
        finally:
            for sink in step_sinks:
                await anyio.to_thread.run_sync(sink.close)
        if check_at_end:
            for step_stats in stats.operators:
                policy.check(step_stats, at_end=True)
    except FailureLimitExceeded as exc:
        await anyio.to_thread.run_sync(explain_failures, exc, dead_letters)
        raise

    reports = {
        step.label: step.op.report() for step in plan.steps if isinstance(step.op, DatasetEvaluator)
    }
    return RunResult(stats, dead_letters, dropped, reports)


async def _run_group(
    produce: Producer,
    consume: Consumer,
    actors: list[Actor],
    channels: list[tuple[ItemSend, ItemReceive]],
    stats: RunStats,
    monitor: Monitor | None,
) -> None:
    async def run() -> None:
        async with anyio.create_task_group() as run_group:
            run_group.start_soon(_timed(produce, stats.source), channels[0][0])
            for i, actor in enumerate(actors):
                run_group.start_soon(actor.run, channels[i][1], channels[i + 1][0])
            run_group.start_soon(_timed(consume, stats.sink), channels[-1][1])

    await watched(stats, monitor, run)


async def watched(
    stats: RunStats, monitor: Monitor | None, run: Callable[[], Awaitable[None]]
) -> None:
    """``run()`` while ``monitor`` (the live display) watches ``stats``; the end is recorded
    in ``stats`` when it finishes."""
    async with anyio.create_task_group() as tg:
        monitor_scope = anyio.CancelScope()
        if monitor is not None:

            async def watch() -> None:
                with monitor_scope:
                    await monitor(stats)

            tg.start_soon(watch)
        await run()
        stats.finished = time.monotonic()
        monitor_scope.cancel()


def root_cause(group: BaseExceptionGroup) -> BaseException:
    """The error that brought the run down: the first leaf of the (nested) task-group errors.

    One failing actor cancels the others, so there is nearly always exactly one leaf; where
    two failed at the same instant, the first is raised and the group is kept as its context.
    """
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    if leaf.__context__ is None and len(group.exceptions) > 1:
        leaf.__context__ = group
    return leaf


def _timed(
    fn: Callable[[Any, OperatorStats], Awaitable[None]], stats: OperatorStats
) -> Callable[[Any], Coroutine[Any, Any, None]]:
    async def run(stream: Any) -> None:
        stats.start()
        try:
            async with stream:
                await fn(stream, stats)
        finally:
            stats.finish()

    return run


def explain_failures(exc: FailureLimitExceeded, dead_letters: DeadLetters) -> None:
    """Add the commonest reasons and where the dead letters are to ``exc``."""
    exc.reasons = common_reasons(dead_letters.records())
    exc.where = dead_letters.path


def _writer(sinks: list[Sink]) -> Callable[[int, Batch], Awaitable[None]]:
    """Write a step's rows to its file, off the event loop (before they go on: the next step
    may change them in place)."""

    async def write(step: int, batch: Batch) -> None:
        await anyio.to_thread.run_sync(sinks[step].write, batch)

    return write


async def _log(log: DeadLetters | DropLog, records: list[Any]) -> None:
    if log.path is None:
        log.add(records)
    else:
        await anyio.to_thread.run_sync(log.add, records)
