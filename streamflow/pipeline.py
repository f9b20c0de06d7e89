"""Pipeline: DataFlow's PyTorch-like API over the streaming runtime.

``__init__`` creates storage, serving and operators; ``forward()`` calls
``op.run(self.storage.step(), input_*=..., output_*=...)``. ``compile()`` traces ``forward()``
into a checked plan, ``run()``/``await arun()`` hand it to an executor (the local one by
default), and ``session()`` opens a running pipeline that an async service feeds row by row.
Calling ``forward()`` directly runs the pipeline, as it does in DataFlow. A pipeline knows
nothing of channels, checkpoints or run directories: those are the executor's. A DataFlow
custom operator among the pipeline's attributes (a ``run(storage, ...)`` over
``storage.read("dataframe")``) becomes a whole-dataset step
(:mod:`streamflow.operators.dataframe`).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from streamflow.errors import StreamflowError
from streamflow.executors import (
    Executor,
    Job,
    LocalExecutor,
    Monitor,
    RunOptions,
    RunResult,
    make_executor,
)
from streamflow.interrupts import cancel_on_signal
from streamflow.operators.dataframe import dataframe_operators_recorded, held_objects
from streamflow.operators.llm import LLMOperator
from streamflow.plan import Plan, compile_plan
from streamflow.session import Session, open_session
from streamflow.storage import FileStorage


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

    def accept_truncated_answers(self) -> list[str]:
        """Let every LLM step (an attribute, or in a list or dict attribute) keep answers cut
        off at ``max_tokens`` instead of failing their rows; returns the steps' names. A small
        model with a low ``max_tokens`` then feeds every step (each kept answer is counted)."""
        names = []
        for op in held_objects(self):
            if isinstance(op, LLMOperator):
                op.accept_truncated_answers()
                names.append(type(op).__name__)
        return names

    # -- planning ----------------------------------------------------------------------------

    def compile(self, *, source_fields: Iterable[str] | None = None) -> Plan:
        """Trace ``forward()`` and check the plan; every problem is reported in one error.

        The source's field names come from ``source_fields`` or, when the storage names an input,
        from a sample of its records: the union of the fields of the first 1,000 rows (see
        :meth:`~streamflow.io.sources.FileSource.sample_fields`), so an optional field missing
        from the first row is still known. An input key in none of them is an error that says
        which rows were read.
        """
        storage = self._storage()
        sampled = None
        if source_fields is None and storage.entry_file is not None:
            sample = storage.source().sample_fields()
            if sample is not None:
                source_fields, sampled = sample.names, sample.where
        storage.start_trace()
        self._tracing = True
        try:
            with dataframe_operators_recorded(self):
                self.forward()
        finally:
            self._tracing = False
            calls = storage.end_trace()
        plan = compile_plan(calls, source_fields, sampled=sampled)
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
        executor: Executor | str | None = None,
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
            executor=executor,
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
        executor: Executor | str | None = None,
        **options: Any,
    ) -> RunResult:
        """Stream the storage's input through the plan into its output file.

        ``input``/``output``/``run_dir`` override the storage's; ``options`` are
        :class:`~streamflow.executors.RunOptions` fields (batch_size, capacity, ordered, ...).
        With a run directory the run is resumable (see :mod:`streamflow.executors.local`):
        ``resume`` continues an unfinished or changed run, ``overwrite`` starts over, and a
        finished run given more input processes only the new records. ``executor`` runs the
        compiled plan: an :class:`~streamflow.executors.Executor`, or its name (``"local"``,
        the default, or ``"ray"``: a Ray cluster, ``RAY_ADDRESS``'s or a private local one).
        """
        run_options = RunOptions(**options)
        storage = self._storage().with_overrides(input, output, run_dir)
        if (resume or overwrite) and storage.run_dir is None:
            flag = "resume" if resume else "overwrite"
            raise ValueError(f"{flag}=True needs a run_dir: without one there is no run to {flag}")
        original, self.storage = self.storage, storage
        try:
            plan = self.compile()
        finally:
            self.storage = original
        step_files: tuple[Path, ...] = ()
        if storage.keep_steps:
            step_files = tuple(storage.step_file(k + 1) for k in range(len(plan.steps)))
            run_options = dataclasses.replace(run_options, fuse=False)
        job = Job(
            storage.source(), storage.output_file, storage.run_dir, resume, overwrite, step_files
        )
        if isinstance(executor, str):
            executor = make_executor(executor)
        runner = executor if executor is not None else LocalExecutor()
        return await runner.execute(plan, job, run_options, monitor=monitor)

    @asynccontextmanager
    async def session(
        self, *, source_fields: Iterable[str] | None = None, **options: Any
    ) -> AsyncIterator[Session]:
        """Open the pipeline as a running service: ``send()`` rows in, iterate results out.

        Leaving the block ends the input and waits for the rows in flight; results nobody read
        are discarded. An exception inside the block cancels the run.
        """
        plan = self.compile(source_fields=source_fields)
        async with open_session(plan, RunOptions(**options)) as session:
            yield session

    def _storage(self) -> FileStorage:
        storage = getattr(self, "storage", None)
        if not isinstance(storage, FileStorage):
            raise StreamflowError(
                f"{type(self).__name__} has no storage: set self.storage = FileStorage(...) "
                "in __init__"
            )
        return storage


PipelineABC = Pipeline
"""DataFlow's name (``from dataflow.pipeline import PipelineABC``): subclass it the same way."""


def _trace_or_run(forward: Callable[..., None]) -> Callable[..., Any]:
    """``forward()`` as compile() traces it, and, called by the user as in DataFlow, the run."""

    @functools.wraps(forward)
    def wrapper(self: Pipeline, **kwargs: Any) -> Any:
        if getattr(self, "_tracing", False):
            return forward(self)
        return self.run(**_dataflow_forward_arguments(self, kwargs))

    return wrapper


def _dataflow_forward_arguments(pipeline: Pipeline, kwargs: dict[str, Any]) -> dict[str, Any]:
    """DataFlow's ``forward(resume_step=, batch_size=, resume_from_last=)`` as run() options.

    DataFlow restarts at a step number over the step files it kept; streamflow resumes from its
    run directory, redoing nothing committed, whatever step a kill interrupted.
    """
    kwargs = dict(kwargs)
    name = type(pipeline).__name__
    if kwargs.pop("resume_step", 0):
        raise StreamflowError(
            f"{name}.forward(resume_step=...): streamflow does not restart at a step number; "
            "give the storage a run directory (FileStorage(..., run_dir=DIR) or --run-dir) and "
            "run again with resume=True (--resume): every committed row of every step is kept"
        )
    if kwargs.pop("resume_from_last", False):
        if pipeline._storage().run_dir is None and kwargs.get("run_dir") is None:
            raise StreamflowError(
                f"{name}.forward(resume_from_last=True) needs a run directory to resume from: "
                "FileStorage(..., run_dir=DIR) or forward(run_dir=DIR, resume_from_last=True)"
            )
        kwargs["resume"] = True
    return kwargs
