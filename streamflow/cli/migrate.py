"""``streamflow migrate``: rewrite DataFlow pipeline files to streamflow's imports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from streamflow.cli.common import err, fail
from streamflow.errors import StreamflowError


def migrate(
    paths: Annotated[
        list[Path], typer.Argument(help="DataFlow pipeline files, or folders searched for .py.")
    ],
    write: Annotated[
        bool, typer.Option("--write", help="Rewrite the files in place instead of printing a diff.")
    ] = False,
) -> None:
    """Rewrite DataFlow pipelines (imports, storage, serving, plain classes) for streamflow.

    Prints a unified diff, or with --write changes the files. What has no streamflow
    counterpart is listed as FILE:LINE; the exit status is then 1.
    """
    try:
        from streamflow.migrate import library_homes, migrate_source, python_files
    except ImportError as exc:
        fail(f"streamflow migrate needs libcst ({exc}): pip install 'streamflow-data[migrate]'", 2)
    try:
        homes = library_homes()
        migrations = [
            migrate_source(path.read_text(encoding="utf-8"), str(path), homes)
            for path in python_files(paths)
        ]
    except (StreamflowError, OSError, UnicodeDecodeError) as exc:
        fail(str(exc), 2)
    for migration in migrations:
        if not migration.changed:
            continue
        if write:
            Path(migration.path).write_text(migration.after, encoding="utf-8")
            err.print(f"rewrote {migration.path}", highlight=False)
        else:
            sys.stdout.write(migration.diff())
    unmapped = [u for m in migrations for u in m.unmapped]
    for problem in unmapped:
        print(f"not migrated: {problem}", file=sys.stderr)  # one line each, unwrapped
    changed = sum(m.changed for m in migrations)
    err.print(f"{changed} of {len(migrations)} files {'rewritten' if write else 'to change'}")
    if unmapped:
        raise typer.Exit(1)
