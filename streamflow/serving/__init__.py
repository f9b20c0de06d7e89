"""LLM serving backends: vLLM in-process, any OpenAI-compatible server; admission and usage.

Every serving is importable from here (``from streamflow.serving import OpenAIServing``), and
so are DataFlow's classes under their own names (:mod:`streamflow.serving.dataflow`). Names are
imported on first use, so importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "Completion": "base",
    "LLMServing": "base",
    "LLMRequestError": "base",
    "SamplingParams": "base",
    "Hedging": "hedging",
    "ServingStartError": "base",
    "OpenAIServing": "openai_compat",
    "VLLMServing": "vllm_backend",
    "EmbeddingServing": "embeddings",
    "LocalEmbeddingServing": "embeddings",
    "OpenAIEmbeddingServing": "embeddings",
    "PerspectiveAPIServing": "perspective",
    "TranscriptionServing": "transcription",
    "APILLMServing_request": "dataflow",
    "APIVLMServing_openai": "dataflow",
    "LocalHostLLMAPIServing_vllm": "dataflow",
    "LocalModelLLMServing_sglang": "dataflow",
    "LocalModelLLMServing_vllm": "dataflow",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
