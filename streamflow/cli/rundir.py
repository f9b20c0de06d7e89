"""``streamflow status`` and ``streamflow deadletters``: what a run directory holds, read while
the run is live in another process or after it ended."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from streamflow.cli.common import err, fail, out
from streamflow.errors import StreamflowError
from streamflow.store.rundir import requeue_dead_letters
from streamflow.store.status import age, read_dead_letters, read_status


def status(
    run_dir: Annotated[Path, typer.Argument(help="The run directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Progress, failures and dead letters of a run, live or finished."""
    try:
        info = read_status(run_dir)
    except StreamflowError as exc:
        fail(str(exc), 2)
    if as_json:
        print(json.dumps(info.to_dict()))
        return
    out.print(f"[bold]{run_dir}[/]: {info.state}" + (f" (pid {info.pid})" if info.pid else ""))
    if info.error:
        out.print(f"error: {info.error}", highlight=False)
    if info.checkpoint:
        ckpt = info.checkpoint
        out.print(
            f"checkpoint #{ckpt['number']} ({age(ckpt['at'])}): {ckpt['rows_written']:,} rows "
            f"committed to {info.output}" + (" — complete" if ckpt["final"] else ""),
            highlight=False,
        )
    if info.progress:
        table = Table("step", "kind", "in", "out", "dropped", "failed", "rows/s", "queue")
        for step in info.progress["steps"]:
            table.add_row(
                step["name"],
                step["kind"],
                f"{step['rows_in']:,}",
                f"{step['rows_out']:,}",
                f"{step['dropped']:,}",
                f"{step['failed']:,}",
                f"{step['rows_per_second']:,.0f}",
                str(step["queue_depth"]),
            )
        out.print(table)
        out.print(f"progress recorded {age(info.progress['at'])}")
    out.print(f"dead letters: {info.dead_letters:,}; dropped rows: {info.dropped:,}")
    if info.requeued:
        out.print(
            f"requeued: {info.requeued:,} dead letters wait to be retried by the next "
            f"`streamflow run ... --run-dir {run_dir}`",
            highlight=False,
        )


def deadletters(
    run_dir: Annotated[Path, typer.Argument(help="The run directory.")],
    export: Annotated[
        Path | None, typer.Option(help="Write every dead letter to this JSONL file.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rows to list.")] = 20,
    requeue: Annotated[
        bool,
        typer.Option(help="Queue them for the next run in RUN_DIR to retry (--resume retries)."),
    ] = False,
    step: Annotated[str | None, typer.Option(help="Only this step's dead letters.")] = None,
) -> None:
    """List, export or requeue a run's dead letters (rows that failed, with step and error)."""
    try:
        letters = [d for d in read_dead_letters(run_dir) if step in (None, d.operator)]
        if requeue:
            moved = requeue_dead_letters(run_dir, step)
            err.print(
                f"{moved:,} dead letters queued: the next `streamflow run ... --run-dir "
                f"{run_dir}` retries each from the step where it failed"
            )
            return
    except StreamflowError as exc:
        fail(str(exc), 2)
    if export is not None:
        encoder = msgspec.json.Encoder()
        try:
            export.write_bytes(b"".join(encoder.encode(d) + b"\n" for d in letters))
        except OSError as exc:
            fail(f"cannot write the dead letters to {export}: {exc.strerror or exc}", 2)
        err.print(f"{len(letters):,} dead letters written to {export}")
        return
    table = Table("step", "row id", "error")
    for letter in letters[:limit]:
        table.add_row(letter.operator, letter.id, letter.error)
    out.print(table)
    if len(letters) > limit:
        out.print(f"... and {len(letters) - limit:,} more (--export FILE for all)")
