"""FileStorage: where a pipeline's rows come from and go to, DataFlow-compatible.

In DataFlow, ``FileStorage`` materialises the whole dataset at every step. Here it only names
the input, the output and the run directory; ``step()`` hands operators a handle whose
``record()`` adds their ``run()`` call to the plan being traced. Rows stream; nothing is
materialised.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path
from typing import Any

import anyio

from streamflow.errors import StreamflowError
from streamflow.executors import Job, LocalExecutor, RunOptions
from streamflow.interrupts import in_async_code
from streamflow.io.records import Source
from streamflow.io.seeds import SeedSource
from streamflow.io.sinks import open_sink
from streamflow.io.sources import FileSource, OnBadRecord
from streamflow.operators.dataframe import FrameStorage, frame_to_rows
from streamflow.plan import Call, compile_plan
from streamflow.rows import Batch
from streamflow.store.rundir import own_files


class FileStorage:
    """Input file(s), output file and run directory of a pipeline.

    ``entry_file`` may be a file, a directory, a glob or a list of those. The positional order
    and names are DataFlow's, ``FileStorage(first_entry_file_name, cache_path,
    file_name_prefix, cache_type)``, so DataFlow pipelines move over unchanged: without
    ``output_file`` the output goes to ``{cache_path}/{file_name_prefix}_output.{cache_type}``
    (``cache_type="json"`` is a JSON array, ``"jsonl"`` JSON lines; the folder is created).
    ``output_file`` and ``run_dir``, streamflow's own, are keywords. Hugging Face and
    ModelScope names (``hf:...``, ``ms:...``) are not downloaded: give the local files.

    Operators normally run inside a traced ``Pipeline.forward()``. Code that calls their
    ``run()`` itself, as a plain DataFlow pipeline class does from its own ``forward()``, gets
    DataFlow's execution model instead (see :meth:`record`).

    ``keep_steps=True`` also writes the rows each step lets through, as they leave it, to
    DataFlow's step files (:meth:`step_file`: ``{cache_path}/{file_name_prefix}_step1.jsonl``...)
    for inspecting a run step by step. They are debugging copies, started afresh by every run:
    after ``--resume`` they hold what this run processed, and rows that failed are in the dead
    letters, not in them. Steps are then not fused (each file is written before the next step
    sees its rows).

    A pipeline that makes its data from nothing has no ``entry_file``: its input is
    ``seed_rows`` seed rows (see :mod:`streamflow.io.seeds`). Without ``seed_rows`` the first
    operator's own ``seed_rows`` (e.g. ``CondorGenerator(num_samples=...)``) says how many.
    """

    def __init__(
        self,
        entry_file: str | Path | list[str | Path] | None = None,
        cache_path: str | Path = "./cache",
        file_name_prefix: str = "streamflow",
        cache_type: str = "jsonl",
        *,
        output_file: str | Path | None = None,
        run_dir: str | Path | None = None,
        on_bad_record: OnBadRecord = "raise",
        first_entry_file_name: str | None = None,
        seed_rows: int | None = None,
        keep_steps: bool = False,
        **source_options: Any,
    ) -> None:
        self.entry_file = entry_file if entry_file is not None else first_entry_file_name
        for spec in _specs(self.entry_file):
            if str(spec).startswith(_HUB_PREFIXES):
                raise StreamflowError(
                    f"FileStorage: {spec!r} names a dataset hub; streamflow reads local files "
                    "only (this machine may have no internet): download it first, e.g. "
                    "`huggingface-cli download --repo-type dataset NAME --local-dir DIR`, "
                    "and give DIR's JSON lines, CSV or Parquet files"
                )
        self.output_file = (
            Path(output_file)
            if output_file is not None
            else Path(cache_path) / f"{file_name_prefix}_output.{cache_type}"
        )
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.on_bad_record = on_bad_record
        self.source_options = source_options
        self.cache_path = Path(cache_path)
        self.file_name_prefix = file_name_prefix
        self.cache_type = cache_type
        self._steps_run = 0
        self.seed_rows = seed_rows
        self.keep_steps = keep_steps
        self._seed_rows_of_first_step: int | None = None
        self._trace: list[Call] | None = None

    def step(self) -> StorageStep:
        """The handle an operator's ``run()`` receives (DataFlow's ``storage.step()``)."""
        return StorageStep(self)

    def source(self) -> Source:
        if self.entry_file is None:
            seeds = self.seed_rows
            if seeds is None:
                seeds = self._seed_rows_of_first_step
            if seeds is not None:
                return SeedSource(seeds)
            raise StreamflowError(
                "FileStorage has no entry_file: give one (or --input on the CLI), or seed_rows=N "
                "for a pipeline that generates its rows"
            )
        source = FileSource(
            _specs(self.entry_file), on_bad_record=self.on_bad_record, **self.source_options
        )
        if self.run_dir is not None:  # a run directory inside the input: its files are not input
            own = own_files(self.run_dir, source.files)
            if own:
                source = source.excluding(own)
        return source

    def with_overrides(
        self,
        input: str | Path | list[str | Path] | None = None,
        output: str | Path | None = None,
        run_dir: str | Path | None = None,
    ) -> FileStorage:
        """A copy with the CLI's ``--input/--output/--run-dir`` applied."""
        clone = object.__new__(FileStorage)
        clone.__dict__.update(self.__dict__)
        if input is not None:
            clone.entry_file = input
        if output is not None:
            clone.output_file = Path(output)
        if run_dir is not None:
            clone.run_dir = Path(run_dir)
        return clone

    def start_trace(self) -> None:
        self._trace = []

    def end_trace(self) -> list[Call]:
        calls, self._trace = self._trace or [], None
        first = getattr(calls[0].op, "seed_rows", None) if calls else None
        self._seed_rows_of_first_step = first if isinstance(first, int) else None
        return calls

    def record(self, op: Any, keys: dict[str, Any]) -> None:
        """Add an operator call to the plan being traced, or, outside a trace, run it now."""
        if self._trace is None:
            self._run_now(op, keys)
        else:
            self._trace.append(Call(op, keys))

    @property
    def tracing(self) -> bool:
        """Whether a pipeline's ``forward()`` is being traced into a plan."""
        return self._trace is not None

    def read_step(self) -> list[dict[str, Any]]:
        """Run step by step (:meth:`_run_now`): the rows the next step reads, all at once."""
        rows: list[dict[str, Any]] = []
        with contextlib.closing(self._step_source().iter_batches(4096)) as batches:
            for batch, _bad in batches:
                rows.extend(batch.rows)
        return rows

    def write_step(self, rows: list[dict[str, Any]]) -> Path:
        """Run step by step: ``rows`` as the next step file; the step counts as run."""
        output = self.step_file(self._steps_run + 1)
        with open_sink(output) as sink:
            sink.write(Batch([str(i) for i in range(len(rows))], rows))
        self._steps_run += 1
        return output

    def _step_source(self) -> Source:
        """What the next step run step by step reads: the input, then the last step's file."""
        if self._steps_run == 0:
            return self.source()
        return FileSource([self.step_file(self._steps_run)], on_bad_record=self.on_bad_record)

    def step_file(self, step: int) -> Path:
        """Step ``step``'s file (1, 2, ...; DataFlow's name): where it writes when run outside a
        pipeline, and its copy of the rows it lets through under ``keep_steps``."""
        return self.cache_path / f"{self.file_name_prefix}_step{step}.{self.cache_type}"

    def _run_now(self, op: Any, keys: dict[str, Any]) -> None:
        """DataFlow's model, for an operator whose ``run()`` is called outside a traced forward():
        the step runs at once over its whole input, the previous step's file (the entry file
        first), and writes its own (:meth:`step_file`). Nothing streams between steps and no run
        directory is kept: a ``Pipeline`` subclass (``streamflow migrate`` makes one) streams."""
        if in_async_code():
            raise StreamflowError(
                f"{type(op).__name__}.run() was called outside Pipeline.forward() in async code: "
                "define the pipeline as a Pipeline subclass and await pipeline.arun()"
            )
        source = self._step_source()
        sample = source.sample_fields()
        plan = compile_plan(
            [Call(op, keys)],
            None if sample is None else sample.names,
            sampled=None if sample is None else sample.where,
        )
        output = self.step_file(self._steps_run + 1)
        job = Job(source, output)
        result = anyio.run(LocalExecutor().execute, plan, job, RunOptions())
        self._steps_run += 1
        failed = sum(s.failed for s in result.stats.operators)
        if failed:
            reasons = sorted({letter.error for letter in result.dead_letters.records()})[:3]
            warnings.warn(
                f"{type(op).__name__}: {failed} rows failed and are not in {output} "
                f"({'; '.join(reasons)})",
                stacklevel=4,
            )


_HUB_PREFIXES = ("hf:", "ms:")


def _specs(entry: str | Path | list[str | Path] | None) -> list[str | Path]:
    if entry is None:
        return []
    return list(entry) if isinstance(entry, list) else [entry]


class StorageStep:
    """What ``storage.step()`` returns: records one operator call into the storage's trace.

    ``read()``/``write()`` are DataFlow's, for a custom operator's ``run()``: inside a pipeline
    that operator runs as a whole-dataset stage (:mod:`streamflow.operators.dataframe`) and
    never sees this handle; run step by step, outside a pipeline, it reads the previous step's
    rows and writes its own step file, as in DataFlow.
    """

    __slots__ = ("storage",)

    def __init__(self, storage: FileStorage) -> None:
        self.storage = storage

    def record(self, op: Any, keys: dict[str, Any]) -> None:
        self.storage.record(op, keys)

    def read(self, output_type: str = "dataframe") -> Any:
        """The dataset so far, as a DataFrame (``"dataframe"``) or records (``"dict"``)."""
        return self._frame_storage("read").read(output_type)

    def write(self, data: Any) -> str:
        """The step's result (a DataFrame or a list of dicts), written to its step file."""
        frame = self._frame_storage("write")
        frame.write(data)
        return str(self.storage.write_step(frame_to_rows(frame.written)))

    def get_keys_from_dataframe(self) -> list[str]:
        return self._frame_storage("read").get_keys_from_dataframe()

    def _frame_storage(self, what: str) -> FrameStorage:
        caller = _calling_operator()
        if self.storage.tracing:
            raise StreamflowError(
                f"{caller}.run() called storage.{what}() while forward() was traced: a DataFlow "
                "operator that reads and writes the dataset runs as a whole-dataset step only "
                f"when the pipeline holds it as an attribute (self.op = {caller}(...) in "
                "__init__, then self.op.run(self.storage.step(), ...) in forward())"
            )
        return FrameStorage(self.storage.read_step(), caller)


DataFlowStorage = StorageStep
"""DataFlow's name for what an operator's ``run(storage, ...)`` receives (its type hints)."""


def _calling_operator() -> str:
    """The class of the ``run()`` that called ``storage.read()``/``write()``, for messages."""
    frame = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if frame.f_code.co_name == "run" and owner is not None:
            return type(owner).__name__
        frame = frame.f_back  # type: ignore[assignment]
    return "an operator"
