"""Pipeline: DataFlow's PyTorch-like API over the streaming runtime.

``__init__`` creates storage, serving and operators; ``forward()`` calls
``op.run(self.storage.step(), input_*=..., output_*=...)``. ``compile()`` traces ``forward()``
into a checked plan, ``run()``/``await arun()`` execute it as actors, and ``session()`` opens a
running pipeline that an async service feeds row by row. Calling ``forward()`` directly runs the
pipeline, as it does in DataFlow.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from streamflow.actors.endpoints import file_consumer, file_producer, replay_producer
from streamflow.channels.stats import OperatorStats, RunStats
from streamflow.errors import StreamflowError
from streamflow.interrupts import cancel_on_signal
from streamflow.plan import Plan, compile_plan
from streamflow.rows import Barrier, Batch
from streamflow.runtime import Monitor, RunOptions, RunResult, execute
from streamflow.serving.base import servings_started
from streamflow.session import Session, open_session
from streamflow.store.deadletters import DeadLetter, DeadLetters, DropLog, Dropped
from streamflow.store.rundir import ResumeNotice, RunDirectory
from streamflow.store.seeds import SeedSource
from streamflow.store.sinks import open_sink
from streamflow.store.sources import FileSource
from streamflow.store.storage import FileStorage


class CompileWarning(UserWarning):
    """A plan that runs but probably not as meant (e.g. a refiner overwriting another field)."""


class Pipeline:
    """Subclass it, build operators in ``__init__``, bind them in ``forward()``."""

    storage: FileStorage

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get("forward")
        if forward is not None:
            cls.forward = _trace_or_run(forward)  # type: ignore[method-assign]

    def forward(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # -- planning ----------------------------------------------------------------------------

    def compile(self, *, source_fields: Iterable[str] | None = None) -> Plan:
        """Trace ``forward()`` and check the plan; every problem is reported in one error.

        The source's field names come from ``source_fields`` or, when the storage names an input,
        from its first record.
        """
        storage = self._storage()
        if source_fields is None and storage.entry_file is not None:
            source_fields = storage.source().fields()
        storage.start_trace()
        self._tracing = True
        try:
            self.forward()
        finally:
            self._tracing = False
            calls = storage.end_trace()
        plan = compile_plan(calls, source_fields)
        for warning in plan.warnings:
            warnings.warn(warning, CompileWarning, stacklevel=2)
        return plan

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        *,
        input: str | Path | list[str | Path] | None = None,
        output: str | Path | None = None,
        run_dir: str | Path | None = None,
        resume: bool = False,
        overwrite: bool = False,
        monitor: Monitor | None = None,
        **options: Any,
    ) -> RunResult:
        """Run to the end of the input (blocking); see :meth:`arun`.

        Ctrl-C (or SIGTERM) cancels the run cleanly and raises KeyboardInterrupt.
        """
        call = functools.partial(
            self.arun,
            input=input,
            output=output,
            run_dir=run_dir,
            resume=resume,
            overwrite=overwrite,
            monitor=monitor,
            **options,
        )
        return anyio.run(cancel_on_signal, call)

    async def arun(
        self,
        *,
        input: str | Path | list[str | Path] | None = None,
        output: str | Path | None = None,
        run_dir: str | Path | None = None,
        resume: bool = False,
        overwrite: bool = False,
        monitor: Monitor | None = None,
        **options: Any,
    ) -> RunResult:
        """Stream the storage's input through the plan into its output file.

        ``input``/``output``/``run_dir`` override the storage's; ``options`` are
        :class:`~streamflow.runtime.RunOptions` fields (batch_size, capacity, ordered, ...).
        With a run directory the run is resumable (see :mod:`streamflow.store.rundir`):
        ``resume`` continues an unfinished or changed run, ``overwrite`` starts over, and a
        finished run given more input processes only the new records.
        """
        run_options = RunOptions(**options)
        storage = self._storage().with_overrides(input, output, run_dir)
        original, self.storage = self.storage, storage
        try:
            plan = self.compile()
        finally:
            self.storage = original
        source = storage.source()
        if storage.run_dir is None:
            sink = open_sink(storage.output_file)
            dead_letters = DeadLetters(DeadLetter)
            async with servings_started(plan.servings()):
                return await execute(
                    plan,
                    file_producer(source, run_options.batch_size, dead_letters),
                    file_consumer(sink),
                    options=run_options,
                    dead_letters=dead_letters,
                    dropped=DropLog(Dropped, keep_in_memory=False),
                    source_name=source.describe(),
                    sink_name=str(storage.output_file),
                    monitor=monitor,
                )
        run = await anyio.to_thread.run_sync(
            functools.partial(
                RunDirectory.open,
                storage.run_dir,
                plan,
                storage.output_file,
                resume=resume,
                overwrite=overwrite,
            )
        )
        try:
            return await self._run_in(run, plan, source, storage, run_options, monitor)
        finally:
            run.close()

    async def _retry_requeued(self, run: RunDirectory, plan: Plan, options: RunOptions) -> None:
        """Retry requeued dead letters first: each row re-enters at the step it failed in, with
        the row as that step received it, and what comes out is appended to the output."""
        for k, letters in await anyio.to_thread.run_sync(run.take_requeued, plan):
            warnings.warn(
                f"retrying {len(letters)} requeued dead letters from {plan.steps[k].label}",
                ResumeNotice,
                stacklevel=2,
            )
            sub = Plan(plan.steps[k:], None, ())
            start = run.checkpoint
            sink = run.open_sink()
            final = Barrier(
                (start.number if start else 0) + 1,
                dict(start.position) if start else {},
                final=True,
            )

            async def commit(barrier: Barrier, sink_stats: OperatorStats) -> None:
                await run.commit(barrier, sink, sink_stats.rows_out)  # noqa: B023 (awaited now)

            rows = Batch([d.id for d in letters], [d.row or {} for d in letters])
            await execute(
                sub,
                replay_producer(rows, options.batch_size, final),
                file_consumer(sink, on_barrier=commit),
                options=options,
                dead_letters=DeadLetters(DeadLetter, run.store),
                dropped=DropLog(Dropped, run.store),
                store=run.store,
                fingerprints=run.fingerprints[k:],
                states=start.states if start else None,
            )
            run.advance()
        await anyio.to_thread.run_sync(run.clear_requeued)

    async def _run_in(
        self,
        run: RunDirectory,
        plan: Plan,
        source: FileSource | SeedSource,
        storage: FileStorage,
        options: RunOptions,
        monitor: Monitor | None,
    ) -> RunResult:
        dead_letters = DeadLetters(DeadLetter, run.store)

        async def commit(barrier: Barrier, sink_stats: OperatorStats) -> None:
            await run.commit(barrier, sink, sink_stats.rows_out)

        async def save_progress(stats: RunStats) -> None:
            while True:
                await anyio.to_thread.run_sync(run.save_progress, stats)
                await anyio.sleep(1.0)

        run.mark("running")
        try:
            async with servings_started(plan.servings()):
                await self._retry_requeued(run, plan, options)
                checkpoint = run.checkpoint
                sink = run.open_sink()
                result = await execute(
                    plan,
                    file_producer(
                        source,
                        options.batch_size,
                        dead_letters,
                        done=checkpoint.position if checkpoint else None,
                        checkpoint_interval=options.checkpoint_interval,
                        first_barrier=checkpoint.number if checkpoint else 0,
                    ),
                    file_consumer(sink, on_barrier=commit),
                    options=options,
                    dead_letters=dead_letters,
                    dropped=DropLog(Dropped, run.store),
                    source_name=source.describe(),
                    sink_name=str(storage.output_file),
                    monitor=_both(monitor, save_progress),
                    store=run.store,
                    fingerprints=run.fingerprints,
                    states=checkpoint.states if checkpoint else None,
                )
            await anyio.to_thread.run_sync(run.finish)
        except BaseException as exc:
            state = "failed" if isinstance(exc, Exception) else "interrupted"
            run.mark(state, error=f"{type(exc).__name__}: {exc}")
            raise
        run.save_progress(result.stats)
        run.mark("finished")
        if result.reports:
            reports = run.path / "reports.json"
            await anyio.Path(reports).write_text(json.dumps(result.reports, indent=2))
        return result

    @asynccontextmanager
    async def session(
        self, *, source_fields: Iterable[str] | None = None, **options: Any
    ) -> AsyncIterator[Session]:
        """Open the pipeline as a running service: ``send()`` rows in, iterate results out.

        Leaving the block ends the input and waits for the rows in flight; results nobody read
        are discarded. An exception inside the block cancels the run.
        """
        plan = self.compile(source_fields=source_fields)
        run_options = RunOptions(**options)
        dead_letters = DeadLetters(DeadLetter)
        dropped = DropLog(Dropped, keep_in_memory=False)
        async with (
            servings_started(plan.servings()),
            open_session(plan, run_options, dead_letters, dropped) as session,
        ):
            yield session

    def _storage(self) -> FileStorage:
        storage = getattr(self, "storage", None)
        if not isinstance(storage, FileStorage):
            raise StreamflowError(
                f"{type(self).__name__} has no storage: set self.storage = FileStorage(...) "
                "in __init__"
            )
        return storage


def _trace_or_run(forward: Callable[..., None]) -> Callable[..., Any]:
    @functools.wraps(forward)
    def wrapper(self: Pipeline, **kwargs: Any) -> Any:
        if getattr(self, "_tracing", False):
            return forward(self)
        return self.run(**kwargs)

    return wrapper


def _both(first: Monitor | None, second: Monitor) -> Monitor:
    """Run two monitors side by side."""
    if first is None:
        return second

    async def both(stats: RunStats) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(first, stats)
            tg.start_soon(second, stats)

    return both
