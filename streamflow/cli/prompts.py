"""``streamflow prompts``: the shipped and installed prompt templates."""

from __future__ import annotations

from typing import Annotated

import typer

from streamflow.cli.common import print_entries
from streamflow.prompts.registry import prompt_templates

app = typer.Typer(help="List shipped and installed prompt templates.", no_args_is_help=True)


@app.command("list")
def prompts_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Prompt templates: shipped, and declared by installed extensions (not imported)."""
    print_entries(prompt_templates, "class", as_json)
