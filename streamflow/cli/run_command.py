"""``streamflow run``: a pipeline file, class or name, to the end of its input.

The run options' defaults are :class:`~streamflow.executors.RunOptions`'s own.
"""

from __future__ import annotations

import json
import os
import traceback
import warnings
from pathlib import Path
from typing import Annotated

import typer

from streamflow.actors.base import Operator
from streamflow.cli.common import err, fail
from streamflow.databases import DATABASES_ENV
from streamflow.display import LiveDisplay, PlainProgress, stats_lines, stats_table
from streamflow.errors import (
    CompileError,
    FailureLimitExceeded,
    StreamflowError,
    UnsafeOutputError,
)
from streamflow.executors import EXECUTORS, Monitor, RunOptions, make_executor
from streamflow.loader import load_pipeline_class
from streamflow.serving.vllm_backend import MODEL_ENV
from streamflow.store.deadletters import common_reasons
from streamflow.store.rundir import RunDirectoryError

DEFAULTS = RunOptions()


def run(
    target: Annotated[
        str, typer.Argument(help="FILE.py, FILE.py:Class, or a shipped pipeline name (web_text).")
    ],
    input: Annotated[
        list[str] | None, typer.Option("--input", "-i", help="Input file, directory or glob.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file.")] = None,
    run_dir: Annotated[
        Path | None,
        typer.Option(help="Run directory: makes the run resumable (store, dead letters, reports)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the unfinished or changed run in --run-dir.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Discard what --run-dir holds (and the output) and start over.")
    ] = False,
    checkpoint_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between checkpoints in a run directory.")
    ] = DEFAULTS.checkpoint_interval,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model for the LLM steps that name none: a local model directory or a model "
            "id vLLM loads (default: the embedded SmolLM2-135M-Instruct)."
        ),
    ] = None,
    databases: Annotated[
        str | None,
        typer.Option(
            help="Databases for the steps that query them (text2sql): a folder of SQLite files "
            "(Spider/BIRD layout), a database file, or a postgresql:// or mysql:// URL."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per batch.")] = DEFAULTS.batch_size,
    capacity: Annotated[int, typer.Option(min=1, help="Batches per channel.")] = DEFAULTS.capacity,
    unordered: Annotated[
        bool, typer.Option(help="Write rows in completion order instead of input order.")
    ] = not DEFAULTS.ordered,
    max_failed_fraction: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fail the run when a step's failed fraction passes this (checked from 100 rows "
            "on while running, and at the end for smaller steps).",
        ),
    ] = DEFAULTS.max_failed_fraction,
    progress: Annotated[bool, typer.Option(help="Live per-operator display.")] = True,
    executor: Annotated[
        str,
        typer.Option(
            help=f"Where the plan runs: {' or '.join(EXECUTORS)} (a Ray cluster: stateless steps "
            "in worker pools, the run directory kept by this process)."
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            help="The Ray cluster to run on (host:port, or 'auto'); default: RAY_ADDRESS, "
            "else a private local cluster."
        ),
    ] = None,
    accept_truncated: Annotated[
        bool,
        typer.Option(
            help="Keep LLM answers cut off at max_tokens (counted) instead of failing their rows."
        ),
    ] = False,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print the final statistics as JSON on stdout.")
    ] = False,
) -> None:
    """Run a pipeline to the end of its input."""
    if model is not None:
        os.environ[MODEL_ENV] = model  # read by serving built without a model, in any process
    if databases is not None:
        os.environ[DATABASES_ENV] = databases  # read by pipelines built without databases
    try:
        runner = make_executor(executor, address=address)
    except ValueError as exc:
        fail(str(exc), 2)
    try:
        pipeline_class = load_pipeline_class(target)
    except StreamflowError as exc:
        fail(str(exc), 2)
    try:
        pipeline = pipeline_class()
    except Exception as exc:  # a constructor's ValueError is a user's mistake, not a crash
        fail(_unbuildable(target, pipeline_class, exc), 2)
    if accept_truncated:
        pipeline.accept_truncated_answers()
    storage_dir = getattr(getattr(pipeline, "storage", None), "run_dir", None)
    if (resume or overwrite) and run_dir is None and storage_dir is None:
        flag = "--resume" if resume else "--overwrite"
        fail(f"{flag} needs --run-dir: without a run directory there is no run to continue", 2)
    terminal = err.is_terminal
    monitor: Monitor | None = None
    if progress:
        monitor = LiveDisplay(err) if terminal else PlainProgress(err)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = pipeline.run(
                input=(input[0] if len(input) == 1 else list(input)) if input else None,
                output=output,
                run_dir=run_dir,
                resume=resume,
                overwrite=overwrite,
                checkpoint_interval=checkpoint_interval,
                monitor=monitor,
                batch_size=batch_size,
                capacity=capacity,
                ordered=not unordered,
                max_failed_fraction=max_failed_fraction,
                executor=runner,
                failure_limit_at_end=True,
            )
        except (CompileError, RunDirectoryError, UnsafeOutputError) as exc:
            fail(str(exc), 2)
        except FailureLimitExceeded as exc:
            fail(_failed_run(exc, run_dir or storage_dir), 1)
        except StreamflowError as exc:
            fail(str(exc), 1)
        except OSError as exc:  # a full disk, a vanished directory: say so, no traceback
            fail(_os_error(exc), 1)
        except KeyboardInterrupt:
            err.print("interrupted: the run was cancelled; its output file is incomplete")
            raise typer.Exit(130) from None
        finally:
            for w in caught:
                err.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    title = f"done in {result.stats.elapsed:,.1f}s"
    if terminal:
        err.print(stats_table(result.stats, title))
    else:
        err.print(stats_lines(result.stats, title), highlight=False, soft_wrap=True)
    where = result.dead_letters.path or "memory (use --run-dir to keep them)"
    retried = (
        f" ({result.requeued_rows_written:,} of them retried dead letters)"
        if result.requeued_rows_written
        else ""
    )
    err.print(
        f"{result.rows_written:,} rows written to {result.stats.sink.name}{retried}; "
        f"{result.stats.dropped:,} dropped; {result.stats.failed:,} failed "
        f"-> dead letters in {where}",
        highlight=False,
        soft_wrap=True,
    )
    for step in result.stats.operators:
        if step.truncated:
            err.print(
                f"{step.name}: kept {step.truncated:,} answers cut off at max_tokens "
                "(accept_truncated)",
                highlight=False,
                soft_wrap=True,
            )
    if result.stats.failed and result.dead_letters.path is None:
        reasons = common_reasons(result.dead_letters.records())
        err.print(_reasons(reasons), highlight=False, soft_wrap=True)
    for label, report in result.reports.items():
        err.print(f"{label}: {json.dumps(report)}", highlight=False)
    if json_summary:
        print(json.dumps({**result.stats.snapshot(), "reports": result.reports}))


def _unbuildable(target: str, pipeline_class: type, exc: Exception) -> str:
    """Why ``pipeline_class()`` failed: the operator whose constructor refused, and where."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if not f.filename.startswith(_PACKAGE_DIR)]
    at = f" ({user[-1].filename}, line {user[-1].lineno})" if user else ""
    operator = ""
    tb = exc.__traceback__
    while tb is not None:  # the innermost operator whose __init__ was running
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, Operator) and type(owner).__name__ not in str(exc):
            operator = f" in {type(owner).__name__}"
        tb = tb.tb_next
    return (
        f"{target}: an unloadable pipeline: building {pipeline_class.__name__} raised "
        f"{type(exc).__name__}{operator}: {exc}{at}"
    )


def _failed_run(exc: FailureLimitExceeded, run_dir: Path | None) -> str:
    """The failure limit's message, the commonest reasons, and where the dead letters are."""
    if run_dir is not None:
        where = f"all of them: `streamflow deadletters {run_dir}`"
    else:
        where = "they were kept in memory only (--run-dir keeps them)"
    return f"{exc}\n{_reasons(exc.reasons)}\ndead letters: {where}"


def _reasons(reasons: list[tuple[int, str]]) -> str:
    """The commonest failure reasons, one a line."""
    return "commonest failure reasons:\n" + "\n".join(f"  {n:,} x {r}" for n, r in reasons)


def _os_error(exc: OSError) -> str:
    names = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    return f"{names + ': ' if names else ''}{exc.strerror or exc}"


_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
