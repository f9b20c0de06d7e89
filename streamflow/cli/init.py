"""``streamflow init``: scaffold an extension package, or add an operator, prompt template or
pipeline to one (see :mod:`streamflow.scaffold`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streamflow.actors.base import OperatorKind
from streamflow.cli.common import err, fail
from streamflow.errors import StreamflowError

app = typer.Typer(
    help="Scaffold an extension package, or add an operator, prompt or pipeline to one.",
    no_args_is_help=True,
)
PackageOption = Annotated[
    Path, typer.Option("--package", help="The extension package (holds its pyproject.toml).")
]


def _scaffold_report(paths: list[Path], name: str) -> None:
    for path in paths:
        err.print(f"updated {path}", highlight=False)
    err.print(
        f"implement {name}, then make its test pass; run `pip install -e .` again so that "
        "streamflow sees the new entry point",
        highlight=False,
    )


@app.command("extension")
def init_extension(
    name: Annotated[str, typer.Argument(help="Distribution name, e.g. my-ext (package my_ext).")],
    directory: Annotated[Path, typer.Argument(help="Where to create NAME/.")] = Path("."),
) -> None:
    """Create a pip-installable extension package with an example operator, prompt and pipeline."""
    from streamflow.scaffold import create_extension

    try:
        ext = create_extension(name, directory)
    except StreamflowError as exc:
        fail(str(exc), 2)
    err.print(f"created {ext.root}: cd {ext.root} && pip install -e . && pytest", highlight=False)


@app.command("operator")
def init_operator(
    name: Annotated[str, typer.Argument(help="Class name, e.g. SentenceSplitter.")],
    kind: Annotated[OperatorKind, typer.Option(help="Operator kind.")] = OperatorKind.GENERATOR,
    package: PackageOption = Path("."),
) -> None:
    """Add an operator class, its entry point and a failing test to an extension package."""
    from streamflow.scaffold import add_operator

    try:
        paths = add_operator(name, kind, package)
    except StreamflowError as exc:
        fail(str(exc), 2)
    _scaffold_report(paths, name)


@app.command("prompt")
def init_prompt(
    name: Annotated[str, typer.Argument(help="Class name, e.g. QuestionPrompt.")],
    package: PackageOption = Path("."),
) -> None:
    """Add a prompt template class, its entry point and a failing test to an extension package."""
    from streamflow.scaffold import add_prompt

    try:
        paths = add_prompt(name, package)
    except StreamflowError as exc:
        fail(str(exc), 2)
    _scaffold_report(paths, name)


@app.command("pipeline")
def init_pipeline(
    name: Annotated[str, typer.Argument(help="Class name, e.g. CleanTextPipeline.")],
    package: PackageOption = Path("."),
) -> None:
    """Add a pipeline class, its entry point and a failing test to an extension package."""
    from streamflow.scaffold import add_pipeline

    try:
        paths = add_pipeline(name, package)
    except StreamflowError as exc:
        fail(str(exc), 2)
    _scaffold_report(paths, name)
