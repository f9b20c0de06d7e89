"""What every command shares: the two consoles, failing with an exit status, listing entries."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from streamflow.errors import StreamflowError

PIPED_WIDTH = 160
"""Columns of a console writing to a pipe or file: rich's 80 would wrap each table row over
several lines (a step's name cut in two), which ``grep`` and logs cannot use. ``$COLUMNS``
still wins."""


def _console(stderr: bool) -> Console:
    piped = not (sys.stderr if stderr else sys.stdout).isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=PIPED_WIDTH if piped else None)


err = _console(stderr=True)
out = _console(stderr=False)


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` as an error and exit with ``code`` (1 a run failed, 2 bad usage)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_entries(find: Callable[[], Mapping[str, Any]], target_header: str, as_json: bool) -> None:
    """Name, origin and target of shipped and entry-point pieces, as a table or JSON lines."""
    try:
        entries = find()
    except StreamflowError as exc:
        fail(str(exc), 2)
    if as_json:
        for e in entries.values():
            print(json.dumps({"name": e.name, "target": e.target, "extension": e.extension}))
        return
    table = Table("name", "from", target_header)
    for e in entries.values():
        table.add_row(e.name, e.extension or "streamflow", e.target)
    out.print(table)
