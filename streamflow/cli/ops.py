"""``streamflow ops``: list and describe operators, built in and from installed extensions."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from streamflow.actors.base import OperatorKind
from streamflow.cli.common import fail, out
from streamflow.errors import StreamflowError
from streamflow.operators.registry import OPERATORS

app = typer.Typer(help="List and describe operators.", no_args_is_help=True)


@app.command("list")
def ops_list(
    kind: Annotated[OperatorKind | None, typer.Option(help="Only operators of this kind.")] = None,
    domain: Annotated[
        str | None,
        typer.Option(help="Only this DataFlow domain (general_text, core_text, web, ...)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List operators: built in, and declared by installed extensions.

    Extensions' operators are listed without importing them; --kind or --domain imports them
    (that is the only way to know), and one that fails to import is listed with its error.
    """
    try:
        extensions = OPERATORS.extensions()
    except StreamflowError as exc:
        fail(str(exc), 2)
    rows: list[dict[str, str | None]] = []
    for name, entry in extensions.items():
        if kind is None and domain is None:
            rows.append(
                {
                    "name": name,
                    "kind": "(not imported)",
                    "domain": entry.extension,
                    "summary": entry.target,
                    "extension": entry.extension,
                }
            )
            continue
        try:
            OPERATORS.get(name)
        except StreamflowError as exc:
            rows.append(
                {
                    "name": name,
                    "kind": "(failed to import)",
                    "domain": entry.extension,
                    "summary": str(exc),
                    "extension": entry.extension,
                }
            )
    for info in OPERATORS.infos(kind=kind, domain=domain):
        if info.extension is None or kind is not None or domain is not None:
            rows.append(
                {
                    "name": info.name,
                    "kind": info.kind,
                    "domain": info.domain,
                    "summary": info.summary,
                    "extension": info.extension,
                }
            )
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    table = Table("name", "kind", "domain", "summary")
    for row in rows:
        cells = (row["name"], row["kind"], row["domain"], row["summary"])
        table.add_row(*(escape(cell or "") for cell in cells))
    out.print(table)


@app.command("show")
def ops_show(name: Annotated[str, typer.Argument(help="Operator name.")]) -> None:
    """Describe one operator: parameters, keys, kind."""
    try:
        info = OPERATORS.info(name)
    except StreamflowError as exc:
        fail(str(exc), 2)
    origin = f"extension {info.extension}" if info.extension else "built in"
    out.print(
        f"[bold]{escape(info.name)}[/]  "
        + escape(f"({info.kind}, domain {info.domain}, {info.module}; {origin})")
    )
    out.print(escape(_reflow(info.description or "(no description)")), highlight=False)
    flags = [f for f, on in (("expensive", info.expensive), ("stateful", info.stateful)) if on]
    out.print(f"executor: {info.executor}" + (f"; {', '.join(flags)}" if flags else ""))
    for title, params in (("parameters", info.parameters), ("keys (bound in run())", info.keys)):
        out.print(f"\n[bold]{title}[/]")
        if not params:
            out.print("  (none)")
        for p in params:
            default = "required" if p.default is None else f"default {p.default}"
            out.print(escape(f"  {p.name}: {default}"), highlight=False)
    if info.allowed_prompts:
        allowed = escape(", ".join(info.allowed_prompts))
        out.print(f"\n[bold]allowed prompt templates[/]: {allowed}")


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s")


def _reflow(doc: str) -> str:
    """A docstring's lines, wrapped for the source, joined so the terminal wraps them once;
    list items keep their own lines."""
    lines: list[str] = []
    for line in doc.splitlines():
        if lines and line.strip() and lines[-1] and not _LIST_ITEM.match(line):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)
