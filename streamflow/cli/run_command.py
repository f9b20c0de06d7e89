"""``streamflow run``: a pipeline file, class or name, to the end of its input.

The run options' defaults are :class:`~streamflow.executors.RunOptions`'s own.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Annotated

import typer

from streamflow.cli.common import err, fail
from streamflow.databases import DATABASES_ENV
from streamflow.display import LiveDisplay, stats_table
from streamflow.errors import CompileError, StreamflowError, UnsafeOutputError
from streamflow.executors import EXECUTORS, RunOptions, make_executor
from streamflow.loader import load_pipeline_class
from streamflow.serving.vllm_backend import MODEL_ENV
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
        typer.Option(min=0.0, max=1.0, help="Stop when a step's failed fraction passes this."),
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
        pipeline = load_pipeline_class(target)()
    except StreamflowError as exc:
        fail(str(exc), 2)
    monitor = LiveDisplay(err) if progress and err.is_terminal else None
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
            )
        except (CompileError, RunDirectoryError, UnsafeOutputError) as exc:
            fail(str(exc), 2)
        except StreamflowError as exc:
            fail(str(exc), 1)
        except KeyboardInterrupt:
            err.print("interrupted: the run was cancelled; its output file is incomplete")
            raise typer.Exit(130) from None
        finally:
            for w in caught:
                err.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    err.print(stats_table(result.stats, f"done in {result.stats.elapsed:,.1f}s"))
    where = result.dead_letters.path or "memory (use --run-dir to keep them)"
    err.print(
        f"{result.rows_written:,} rows written to {result.stats.sink.name}; "
        f"{result.stats.dropped:,} dropped; {result.stats.failed:,} failed "
        f"-> dead letters in {where}",
        highlight=False,
    )
    for label, report in result.reports.items():
        err.print(f"{label}: {json.dumps(report)}", highlight=False)
    if json_summary:
        print(json.dumps({**result.stats.snapshot(), "reports": result.reports}))
