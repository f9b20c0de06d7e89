"""The ``streamflow`` command line: one module per command group, put together here.

Exit status: 0 success; 1 the run failed (an operator, the failure limit, an unreadable record);
2 bad usage, an unloadable pipeline or a plan that does not compile; 130 interrupted (Ctrl-C or
SIGTERM; a second one exits at once).
"""

from __future__ import annotations

import sys

import typer

from streamflow.actors.base import OperatorKind
from streamflow.cli import env, init, models, ops, pipelines, prompts, rundir
from streamflow.cli import run as run_command

app = typer.Typer(
    name="streamflow",
    help="Streaming, resumable LLM data-preparation pipelines.",
    epilog="Exit status: 0 success; 1 the run failed; 2 bad usage, an unloadable pipeline or "
    "extension, a plan that does not compile, or a run directory that needs --resume or "
    "--overwrite; 130 interrupted (Ctrl-C or SIGTERM; a second one exits at once).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ops.app, name="ops")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(prompts.app, name="prompts")
app.add_typer(models.app, name="models")
app.command()(run_command.run)
app.command()(rundir.status)
app.command()(rundir.deadletters)
app.command()(env.env)
app.add_typer(init.app, name="init")

Kind = OperatorKind
"""Compatibility: the CLI's kind choices are the operator kinds themselves."""

__all__ = ["Kind", "app", "main"]


def main() -> None:
    sys.exit(app())
