"""``streamflow models``: prepare the embedded default model, list the model cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from streamflow.cli.common import err, fail, out
from streamflow.errors import StreamflowError
from streamflow.models import DEFAULT_MODEL, model_cache_dir, prepare_default_model

app = typer.Typer(help="Prepare and list local models.", no_args_is_help=True)

CacheDirOption = Annotated[
    Path | None,
    typer.Option(help="Model cache [default: $STREAMFLOW_MODEL_CACHE, ~/.cache/streamflow/models]"),
]


@app.command("prepare")
def models_prepare(cache_dir: CacheDirOption = None) -> None:
    """Fetch and convert the default model (SmolLM2-135M-Instruct) once; print its directory."""
    try:
        path = prepare_default_model(cache_dir)
    except StreamflowError as exc:
        fail(str(exc), 1)
    print(path)


@app.command("list")
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
