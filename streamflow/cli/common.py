"""What every command shares: the two consoles, failing with an exit status, listing entries."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from streamflow.errors import StreamflowError

err = Console(stderr=True)
out = Console()


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
