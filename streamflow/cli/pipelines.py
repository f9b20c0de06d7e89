"""``streamflow pipelines``: the shipped and installed pipelines, and a copy of one to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streamflow.cli.common import err, fail, print_entries
from streamflow.errors import StreamflowError
from streamflow.loader import pipelines

app = typer.Typer(
    help="List shipped and installed pipelines; copy one to edit.", no_args_is_help=True
)


@app.command("list")
def pipelines_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Shipped pipelines and those installed extensions declare (nothing is imported)."""
    print_entries(pipelines, "module", as_json)


@app.command("copy")
def pipelines_copy(
    name: Annotated[str, typer.Argument(help="A name from `streamflow pipelines list`.")],
    directory: Annotated[Path, typer.Argument(help="Where the copy goes.")],
) -> None:
    """Copy a pipeline's source file into DIRECTORY, to edit and run with `streamflow run`."""
    try:
        entry = pipelines().get(name)
        if entry is None:
            raise StreamflowError(f"no pipeline named {name!r}; `streamflow pipelines list`")
        source = entry.path
    except StreamflowError as exc:
        fail(str(exc), 2)
    target = directory / source.name
    if target.exists():
        fail(f"{target} exists already; copy into another directory", 2)
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(source.read_text())
    err.print(f"copied {name} to {target}; run it with: streamflow run {target}", highlight=False)
