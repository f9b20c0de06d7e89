"""The executor seam: a compiled :class:`~streamflow.plan.Plan` and a :class:`Job` go in, a
:class:`RunResult` comes out.

``Pipeline`` compiles, then hands the plan to an executor; it knows nothing of channels,
checkpoints or run directories. :class:`~streamflow.executors.local.LocalExecutor` runs a plan
in this process (one anyio task group) and owns the run-directory protocol; an executor for a
cluster implements the same :meth:`Executor.execute` with the same contracts: every row written
once, in order, and expensive results never recomputed after a kill (datatrove's executors and
Ray Data's ``Executor.execute(dag)`` are the models).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamflow.channels.stats import RunStats
from streamflow.io.records import Source
from streamflow.plan import Plan
from streamflow.store.deadletters import DeadLetters, DropLog

Monitor = Callable[[RunStats], Coroutine[Any, Any, None]]
"""Watches a run's statistics while it runs (the live display); cancelled when it ends."""


@dataclass
class RunOptions:
    batch_size: int = 256
    """Rows per batch: the unit that moves through channels and reaches a hook."""
    capacity: int = 4
    """Batches a channel holds before its producer blocks."""
    ordered: bool = True
    """Emit rows in input order; False emits in completion order (multi-worker steps only)."""
    max_failed_fraction: float = 0.1
    """Stop the run when more than this fraction of a step's rows fail..."""
    min_rows_for_failure_limit: int = 100
    """...once the step has seen at least this many rows."""
    failure_limit_at_end: bool = False
    """Also apply the limit when the run ends, to steps that saw fewer rows than that: a run
    of 24 rows that all failed fails. ``streamflow run`` turns it on; a library caller that
    leaves it off reads the failures from the result."""
    fuse: bool = True
    """Run consecutive cheap synchronous operators in one thread hop per batch."""
    checkpoint_interval: float = 2.0
    """Seconds between checkpoints of a run with a run directory."""

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.capacity < 1:
            raise ValueError("batch_size and capacity must be >= 1")


@dataclass
class RunResult:
    """What a finished run reports."""

    stats: RunStats
    dead_letters: DeadLetters
    dropped: DropLog
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    """DatasetEvaluator reports, by step label."""
    requeued_rows_written: int = 0
    """Rows written by the retry of requeued dead letters before the run proper (not in
    ``stats``)."""

    @property
    def rows_written(self) -> int:
        """Every row this run wrote, requeued retries included."""
        return self.stats.sink.rows_out + self.requeued_rows_written


@dataclass(frozen=True, slots=True)
class Job:
    """What one run reads, where it writes, and where (if anywhere) it keeps its run directory.

    With a ``run_dir`` the run is resumable: ``resume`` continues an unfinished or changed run,
    ``overwrite`` starts over, and a finished run given more input processes only the new
    records (see :mod:`streamflow.executors.local`).
    """

    source: Source
    output: Path
    run_dir: Path | None = None
    resume: bool = False
    overwrite: bool = False
    step_files: tuple[Path, ...] = ()
    """Where each step's rows are also written as they leave it (``keep_steps``): one path per
    plan step, or none."""


class Executor(ABC):
    """Runs a compiled plan over a job's input into its output."""

    @abstractmethod
    async def execute(
        self, plan: Plan, job: Job, options: RunOptions, *, monitor: Monitor | None = None
    ) -> RunResult:
        """Run ``plan`` to the end of ``job``'s input; the statistics, failures and reports.

        Starts the LLM servings the plan uses that are not started yet, and closes them after.
        A fatal error cancels the run and is raised; a run directory is left consistent.
        """
