"""The ``streamflow`` command line.

Exit status: 0 success; 1 the run failed (an operator, the failure limit, an unreadable record);
2 bad usage, an unloadable pipeline or a plan that does not compile; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from streamflow.actors.registry import OPERATORS
from streamflow.display import LiveDisplay, stats_table
from streamflow.errors import CompileError, StreamflowError
from streamflow.loader import load_pipeline_class

app = typer.Typer(
    name="streamflow",
    help="Streaming, resumable LLM data-preparation pipelines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ops_app = typer.Typer(help="List and describe operators.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")

err = Console(stderr=True)
out = Console()


class Kind(StrEnum):
    generator = "generator"
    row_generator = "row_generator"
    refiner = "refiner"
    filter = "filter"
    sample_evaluator = "sample_evaluator"
    dataset_evaluator = "dataset_evaluator"


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def run(
    target: Annotated[
        str, typer.Argument(help="FILE.py, FILE.py:Class, or a shipped pipeline name (web_text).")
    ],
    input: Annotated[
        list[str] | None, typer.Option("--input", "-i", help="Input file, directory or glob.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file.")] = None,
    run_dir: Annotated[
        Path | None, typer.Option(help="Directory for dead letters, dropped rows and reports.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per batch.")] = 256,
    capacity: Annotated[int, typer.Option(min=1, help="Batches per channel.")] = 4,
    unordered: Annotated[
        bool, typer.Option(help="Write rows in completion order instead of input order.")
    ] = False,
    max_failed_fraction: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Stop when a step's failed fraction passes this."),
    ] = 0.1,
    progress: Annotated[bool, typer.Option(help="Live per-operator display.")] = True,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print the final statistics as JSON on stdout.")
    ] = False,
) -> None:
    """Run a pipeline to the end of its input."""
    try:
        pipeline = load_pipeline_class(target)()
    except StreamflowError as exc:
        _fail(str(exc), 2)
    monitor = LiveDisplay(err) if progress and err.is_terminal else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = pipeline.run(
                input=(input[0] if len(input) == 1 else list(input)) if input else None,
                output=output,
                run_dir=run_dir,
                monitor=monitor,
                batch_size=batch_size,
                capacity=capacity,
                ordered=not unordered,
                max_failed_fraction=max_failed_fraction,
            )
        except CompileError as exc:
            _fail(str(exc), 2)
        except StreamflowError as exc:
            _fail(str(exc), 1)
        except KeyboardInterrupt:
            err.print("interrupted: the run was cancelled; its output file is incomplete")
            raise typer.Exit(130) from None
        finally:
            for w in caught:
                err.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    err.print(stats_table(result.stats, f"done in {result.stats.elapsed:,.1f}s"))
    where = result.dead_letters.path or "memory (use --run-dir to keep them)"
    err.print(
        f"{result.rows_written:,} rows written to {result.stats.sink.name}; "
        f"{result.stats.dropped:,} dropped; {result.stats.failed:,} failed "
        f"-> dead letters in {where}",
        highlight=False,
    )
    for label, report in result.reports.items():
        err.print(f"{label}: {json.dumps(report)}", highlight=False)
    if json_summary:
        print(json.dumps({**result.stats.snapshot(), "reports": result.reports}))


@ops_app.command("list")
def ops_list(
    kind: Annotated[Kind | None, typer.Option(help="Only operators of this kind.")] = None,
    domain: Annotated[
        str | None, typer.Option(help="Only this domain (text, general, ...).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List registered operators."""
    infos = OPERATORS.infos(kind=kind.value if kind else None, domain=domain)
    if as_json:
        for info in infos:
            print(
                json.dumps(
                    {
                        "name": info.name,
                        "kind": info.kind,
                        "domain": info.domain,
                        "summary": info.summary,
                    }
                )
            )
        return
    table = Table("name", "kind", "domain", "summary")
    for info in infos:
        table.add_row(info.name, info.kind, info.domain, info.summary)
    out.print(table)


@ops_app.command("show")
def ops_show(name: Annotated[str, typer.Argument(help="Operator name.")]) -> None:
    """Describe one operator: parameters, keys, kind."""
    try:
        info = OPERATORS.info(name)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    out.print(f"[bold]{info.name}[/]  ({info.kind}, domain {info.domain}, {info.module})")
    out.print(info.description or "(no description)", highlight=False)
    flags = [f for f, on in (("expensive", info.expensive), ("stateful", info.stateful)) if on]
    out.print(f"executor: {info.executor}" + (f"; {', '.join(flags)}" if flags else ""))
    for title, params in (("parameters", info.parameters), ("keys (bound in run())", info.keys)):
        out.print(f"\n[bold]{title}[/]")
        if not params:
            out.print("  (none)")
        for p in params:
            default = "required" if p.default is None else f"default {p.default}"
            out.print(f"  {p.name}: {default}", highlight=False)
    if info.allowed_prompts:
        out.print(f"\n[bold]allowed prompt templates[/]: {', '.join(info.allowed_prompts)}")


def main() -> None:
    sys.exit(app())
