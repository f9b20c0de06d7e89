"""The local executor: a plan runs in this process, and a run directory makes it resumable.

Without a run directory, the source streams through the actors into the sink and that is all.
With one, the executor drives the run-directory protocol, here and nowhere else (what carries
the rows from source to sink is a :data:`Stream`: the plan's actors, or the Ray executor's
input shards, which keep the same barriers and commits). It gives
output files every row exactly once, in order, whatever the number of crashes:

1. The source sends a *barrier* every few seconds, carrying the source position (per input file,
   the offset of the last record read before it). Channels are FIFO and actors keep order, so a
   barrier reaches each operator after every batch read before it; dataset evaluators add their
   state to it as it passes.
2. Expensive operators commit each batch's per-row results (one LMDB transaction, keyed by step
   fingerprint and row id) before passing the batch on; stateful operators keep their state in
   the store with idempotent updates (a key belongs to the first row id that claimed it).
3. When the barrier reaches the sink, everything before it has been written: the sink flushes
   and fsyncs the output, then one transaction records the checkpoint (source position, output
   byte offset, rows written, evaluator states) and the store is synced.
4. On resume the output is truncated to the checkpoint's offset (dropping rows written after
   it), the source skips every record at or before the checkpoint's position, evaluators reload
   their state, and rows after the checkpoint flow again: expensive steps replay their stored
   results instead of recomputing, dedup finds each replayed row as the owner of its own key.
   The output therefore equals an uninterrupted run's, and the only expensive work redone is
   the batch that was in flight when the process died.

A finished run's last checkpoint covers all its input, so running again over grown input (new
files, lines appended to a JSONL) processes only the new records: an incremental run. Outputs
that cannot be continued at a byte offset (Parquet, compressed files) are spooled as JSONL in
the run directory and converted at the end of each run. Dead letters that ``streamflow
deadletters --requeue`` queued are retried first, each from the step it failed in; a step's
group leaves the queue in the transaction of the checkpoint that ends its retry, so a kill
retries it again or not at all. The run's state (running, finished, failed, interrupted) and
live progress are recorded for ``streamflow status``. The records themselves live in
:mod:`streamflow.store.rundir`.

Before anything opens, a run refuses an output that is one of its inputs or would be read back
as one (:mod:`streamflow.executors.guards`). A run directory is held by one process at a time
(an OS lock, :mod:`streamflow.store.rundir`), and its input files are matched by content against
what earlier runs read (:mod:`streamflow.io.identity`): a moved input keeps its row ids, an
input that grew continues, and one rewritten in place is refused instead of mixed.
"""

from __future__ import annotations

import functools
import json
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import msgspec

from streamflow.channels.stats import OperatorStats, RunStats
from streamflow.errors import SinkError
from streamflow.executors.base import Executor, Job, Monitor, RunOptions, RunResult
from streamflow.executors.context import Placement, RunContext
from streamflow.executors.endpoints import file_consumer, file_producer, replay_producer
from streamflow.executors.guards import protect_inputs
from streamflow.executors.runtime import run_plan
from streamflow.io.formats import format_of
from streamflow.io.identity import identify
from streamflow.io.sinks import CsvSink, JsonlSink, Sink, open_appending, open_sink, supports_append
from streamflow.io.sources import FileSource
from streamflow.plan import Plan
from streamflow.rows import Barrier, Batch, fingerprint
from streamflow.serving.base import servings_started
from streamflow.store.deadletters import DeadLetter
from streamflow.store.rundir import (
    REPORTS_NAME,
    Checkpoint,
    ResumeNotice,
    RunDirectory,
    RunDirectoryError,
)

_decoder = msgspec.json.Decoder()


Commit = Callable[[Barrier, OperatorStats], Awaitable[None]]
"""Step 3 of the protocol for one barrier that reached the sink (given the sink's statistics)."""


@dataclass(frozen=True)
class Streaming:
    """One run's passage from input to output, as a :data:`Stream` gets it: read
    ``job.source`` after ``resume``'s position, write ``sink``, hand each barrier reached (with
    the sink's statistics) to ``commit``; without a run directory ``resume`` and ``commit`` are
    None."""

    plan: Plan
    job: Job
    sink: Sink
    options: RunOptions
    context: RunContext
    resume: Checkpoint | None = None
    commit: Commit | None = None
    monitor: Monitor | None = None


Stream = Callable[[Streaming], Awaitable[RunResult]]
"""How a run's input reaches its output between the protocol's steps: the plan's actors
(:func:`stream_plan`), or an executor's own way that keeps the same contracts (the Ray
executor's shards)."""


async def stream_plan(run: Streaming) -> RunResult:
    """The source's batches through the plan's actors into the sink, with a barrier every
    ``checkpoint_interval`` seconds when there is a ``commit``."""
    options, resume = run.options, run.resume
    return await run_plan(
        run.plan,
        file_producer(
            run.job.source,
            options.batch_size,
            run.context.dead_letters,
            done=resume.position if resume else None,
            checkpoint_interval=options.checkpoint_interval if run.commit is not None else None,
            first_barrier=resume.number if resume else 0,
        ),
        file_consumer(run.sink, on_barrier=run.commit, name=str(run.job.output)),
        options=options,
        context=run.context,
        monitor=run.monitor,
        check_at_end=options.failure_limit_at_end,
        step_files=run.job.step_files,
    )


class LocalExecutor(Executor):
    """Runs a plan in this process: actors in one anyio task group, over bounded channels.

    A ``placement`` sends stages' hooks elsewhere (the Ray executor's worker pools) while this
    process keeps the protocol below; a ``stream`` replaces the actors between source and sink
    (the Ray executor's shards), the protocol around it unchanged.
    """

    def __init__(self, placement: Placement | None = None, stream: Stream = stream_plan) -> None:
        self.placement = placement
        self.stream = stream

    async def execute(
        self, plan: Plan, job: Job, options: RunOptions, *, monitor: Monitor | None = None
    ) -> RunResult:
        job = protect_inputs(job)
        if job.run_dir is None:
            context = RunContext.in_memory(self.placement)
            sink = open_sink(job.output)
            async with servings_started(plan.servings()):
                passage = Streaming(plan, job, sink, options, context, monitor=monitor)
                return await self.stream(passage)
        directory = await anyio.to_thread.run_sync(_open, plan, job)
        try:
            run = _DirectoryRun(directory, plan, job, options, self.placement)
            return await run.run(monitor, self.stream)
        finally:
            directory.close()


def _open(plan: Plan, job: Job) -> RunDirectory:
    """Open ``job``'s run directory for ``plan``; refuse an output that changed behind it."""
    assert job.run_dir is not None
    run = RunDirectory.open(
        job.run_dir,
        [s.label for s in plan.steps],
        plan.fingerprints(),
        job.output,
        resume=job.resume,
        overwrite=job.overwrite,
    )
    try:
        _check_output(run)
        _identify_inputs(run, job)
    except BaseException:
        run.close()
        raise
    return run


def _identify_inputs(run: RunDirectory, job: Job) -> None:
    """Give ``job``'s input files the ids earlier runs in ``run`` gave them (by content), and
    refuse an input rewritten in place: its new rows would be skipped as done, or get the old
    rows' stored results."""
    if not isinstance(job.source, FileSource):
        return
    files, known = job.source.files, run.inputs
    legacy: dict[Path, str] | None = None
    stored = run.store.get_meta("checkpoint")
    if not known and stored is not None:
        # a run directory from before inputs were recorded: its ids came from the paths
        by_path = {path: fingerprint(str(path)) for path in files}
        legacy = {path: id_ for path, id_ in by_path.items() if id_ in stored["position"]}
    found = identify(files, known, legacy)
    if found.rewritten:
        named = "; ".join(f"{path}: {why}" for path, why in found.rewritten[:5])
        more = f" (and {len(found.rewritten) - 5} more)" if len(found.rewritten) > 5 else ""
        raise RunDirectoryError(
            f"input rewritten since {run.path} last read it ({named}{more}): its old rows and "
            "its new ones would mix. Use --overwrite to start over with the new content, or "
            "give new content a new file name to add it as new input"
        )
    job.source.use_file_ids(found.ids)
    run.record_inputs(dict(found.records))


class _DirectoryRun:
    """One run in a run directory: every step of the protocol above, in order."""

    def __init__(
        self,
        directory: RunDirectory,
        plan: Plan,
        job: Job,
        options: RunOptions,
        placement: Placement | None = None,
    ) -> None:
        self.directory = directory
        self.plan = plan
        self.job = job
        self.options = options
        self.context = RunContext.in_store(
            directory.store, directory.fingerprints, placement=placement
        )

    async def run(self, monitor: Monitor | None, stream: Stream = stream_plan) -> RunResult:
        directory, options = self.directory, self.options
        directory.mark("running")
        try:
            async with servings_started(self.plan.servings()):
                retried = await self.retry_requeued()
                checkpoint = directory.checkpoint
                sink = _open_sink(directory)
                result = await stream(
                    Streaming(
                        self.plan,
                        self.job,
                        sink,
                        options,
                        self.context.from_step(0, checkpoint.states if checkpoint else None),
                        resume=checkpoint,
                        commit=functools.partial(self.commit, sink=sink),
                        monitor=_both(monitor, self.save_progress),
                    )
                )
                result.requeued_rows_written = retried
            await anyio.to_thread.run_sync(self.finish)
        except BaseException as exc:
            state = "failed" if isinstance(exc, Exception) else "interrupted"
            directory.mark(state, error=f"{type(exc).__name__}: {exc}")
            raise
        directory.save_progress(result.stats.snapshot())
        directory.mark("finished")
        if result.reports:
            reports = directory.path / REPORTS_NAME
            await anyio.Path(reports).write_text(json.dumps(result.reports, indent=2))
        return result

    async def commit(
        self,
        barrier: Barrier,
        sink_stats: OperatorStats,
        *,
        sink: JsonlSink | CsvSink,
        requeue: list[DeadLetter] | None = None,
    ) -> None:
        """Step 3: the output durable first, then the checkpoint that points at it.

        ``sink_stats.rows_out`` is the rows this pass has written so far; ``requeue`` (in a
        retry of requeued rows) is the queue that remains once this checkpoint is recorded.
        """
        try:
            offset = await anyio.to_thread.run_sync(sink.commit)
        except OSError as exc:  # a full disk at the flush: name the output, not a traceback
            raise SinkError(f"{sink.path}: cannot write the output: {exc.strerror or exc}") from exc
        start = self.directory.checkpoint
        checkpoint = Checkpoint(
            number=barrier.number,
            position=barrier.position,
            output_bytes=offset,
            rows_written=(start.rows_written if start else 0) + sink_stats.rows_out,
            header=sink.header if isinstance(sink, CsvSink) else None,
            states={**(start.states if start else {}), **barrier.states},
            final=barrier.final,
            at=time.time(),
        )
        record = functools.partial(self.directory.record_checkpoint, requeue=requeue)
        await anyio.to_thread.run_sync(record, checkpoint)

    async def retry_requeued(self) -> int:
        """Retry requeued dead letters first: each row re-enters at the step it failed in, with
        the row as that step received it, and what comes out is appended to the output.

        Returns the number of rows written."""
        directory, plan = self.directory, self.plan
        written = 0
        labels = [s.label for s in plan.steps]
        groups = await anyio.to_thread.run_sync(directory.take_requeued, labels)
        for g, (k, letters) in enumerate(groups):
            remaining = [letter for _, later in groups[g + 1 :] for letter in later]
            warnings.warn(
                f"retrying {len(letters)} requeued dead letters from {plan.steps[k].label}",
                ResumeNotice,
                stacklevel=2,
            )
            start = directory.checkpoint
            sink = _open_sink(directory)
            final = Barrier(
                (start.number if start else 0) + 1,
                dict(start.position) if start else {},
                final=True,
            )
            rows = Batch([d.id for d in letters], [d.row or {} for d in letters])
            commit = functools.partial(self.commit, sink=sink, requeue=remaining)
            retry = await run_plan(
                Plan(plan.steps[k:], None, ()),
                replay_producer(rows, self.options.batch_size, final),
                file_consumer(sink, on_barrier=commit, name="sink"),
                options=self.options,
                context=self.context.from_step(k, start.states if start else None),
            )
            written += retry.rows_written
            directory.advance()
        await anyio.to_thread.run_sync(directory.clear_requeued)
        return written

    async def save_progress(self, stats: RunStats) -> None:
        """Record the live statistics every second, for ``streamflow status``."""
        while True:
            await anyio.to_thread.run_sync(self.directory.save_progress, stats.snapshot())
            await anyio.sleep(1.0)

    def finish(self) -> None:
        """After the final checkpoint: write a spooled output out in its real format."""
        if _spooled(self.directory):
            _convert(self.directory.spool, self.job.output)


def writes_jsonl(job: Job) -> bool:
    """Whether ``job``'s rows go to a JSON-lines file: its output, or the spool a run directory
    writes for an output that cannot be continued at a byte offset."""
    if job.run_dir is not None and not supports_append(job.output):
        return True
    return format_of(job.output, "write") == "jsonl"


def _spooled(run: RunDirectory) -> bool:
    """Whether the output cannot be continued at a byte offset, so the run writes a spool."""
    return not supports_append(run.output)


def _open_sink(run: RunDirectory) -> JsonlSink | CsvSink:
    """The file the run writes to, continued at the last checkpoint's offset."""
    target = run.spool if _spooled(run) else run.output
    ckpt = run.checkpoint
    return open_appending(target, ckpt.output_bytes if ckpt else 0, ckpt.header if ckpt else None)


def _check_output(run: RunDirectory) -> None:
    """Refuse to continue an output that is shorter than the last checkpoint says."""
    if run.checkpoint is None:
        return
    target = run.spool if _spooled(run) else run.output
    if not target.exists():
        raise RunDirectoryError(
            f"{target} is missing: the run's last checkpoint recorded "
            f"{run.checkpoint.output_bytes} bytes written to it, so it was deleted or moved "
            "outside streamflow; put it back, or --overwrite to start over"
        )
    size = target.stat().st_size
    if size < run.checkpoint.output_bytes:
        raise RunDirectoryError(
            f"{target} is shorter ({size} bytes) than the run's last checkpoint recorded "
            f"({run.checkpoint.output_bytes}): it was changed outside streamflow; "
            "--overwrite to start over"
        )


def _convert(spool: Path, output: Path, batch_size: int = 4096) -> None:
    """Stream the JSONL spool into ``output`` in its own format."""
    sink: Sink = open_sink(output)
    with sink, spool.open("rb") as f:
        batch = Batch([], [])
        for n, line in enumerate(f, 1):
            batch.ids.append(f"{spool.name} line {n}")
            batch.rows.append(_decoder.decode(line))
            if len(batch) == batch_size:
                sink.write(batch)
                batch = Batch([], [])
        sink.write(batch)


def _both(first: Monitor | None, second: Monitor) -> Monitor:
    """Run two monitors side by side."""
    if first is None:
        return second

    async def both(stats: RunStats) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(first, stats)
            tg.start_soon(second, stats)

    return both
