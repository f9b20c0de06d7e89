"""The ``streamflow`` command line: one module per command group, put together here.

Exit status: 0 success; 1 the run failed (an operator, the failure limit, an unreadable record);
2 bad usage, an unloadable pipeline or a plan that does not compile; 130 interrupted (Ctrl-C or
SIGTERM; a second one exits at once).
"""

from __future__ import annotations

import sys

import typer

from streamflow.actors.base import OperatorKind
from streamflow.cli import init, models, ops, pipelines, prompts
from streamflow.cli.agent import agent
from streamflow.cli.common import err, out
from streamflow.cli.environment import env
from streamflow.cli.init import (
    PackageOption,
    init_extension,
    init_operator,
    init_pipeline,
    init_prompt,
)
from streamflow.cli.migrate import migrate
from streamflow.cli.models import CacheDirOption, models_list, models_prepare
from streamflow.cli.ops import ops_list, ops_show
from streamflow.cli.pipelines import pipelines_copy, pipelines_list
from streamflow.cli.prompts import prompts_list
from streamflow.cli.run_command import run
from streamflow.cli.rundir import deadletters, status

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
app.command()(run)
app.command()(status)
app.command()(deadletters)
app.command()(env)
app.command()(migrate)
app.command()(agent)
app.add_typer(init.app, name="init")

# Compatibility: the names of the single-module CLI this package replaced.
ops_app, pipelines_app, prompts_app, models_app, init_app = (
    ops.app,
    pipelines.app,
    prompts.app,
    models.app,
    init.app,
)
Kind = OperatorKind
"""The CLI's kind choices are the operator kinds themselves."""

__all__ = [
    "CacheDirOption",
    "Kind",
    "PackageOption",
    "agent",
    "app",
    "deadletters",
    "env",
    "err",
    "init_app",
    "init_extension",
    "init_operator",
    "init_pipeline",
    "init_prompt",
    "main",
    "migrate",
    "models_app",
    "models_list",
    "models_prepare",
    "ops_app",
    "ops_list",
    "ops_show",
    "out",
    "pipelines_app",
    "pipelines_copy",
    "pipelines_list",
    "prompts_app",
    "prompts_list",
    "run",
    "status",
]


def main() -> None:
    sys.exit(app())
