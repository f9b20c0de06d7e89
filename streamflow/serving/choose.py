"""Which serving a shipped pipeline uses when the user names none: an OpenAI-compatible server
when ``OPENAI_BASE_URL`` is set, else the in-process vLLM engine.

So one pipeline file runs on the embedded model and on any server without an edit::

    streamflow run reasoning_math                                   # embedded SmolLM2
    streamflow run reasoning_math --model ~/models/Qwen2.5-7B       # another local model
    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 streamflow run reasoning_math [--model NAME]

With a server, ``--model`` (``$STREAMFLOW_MODEL``) names the served model (default: the first
the server lists) and the key is read from ``$OPENAI_API_KEY`` (none needed on loopback).
"""

from __future__ import annotations

import os

from streamflow.serving.base import LLMServing, SamplingParams

__all__ = ["BASE_URL_ENV", "pin_llm_workers", "serving_from_environment"]

BASE_URL_ENV = "OPENAI_BASE_URL"


def serving_from_environment(params: SamplingParams | None = None) -> LLMServing:
    """An ``OpenAIServing`` for ``$OPENAI_BASE_URL`` if set, else a ``VLLMServing``; both with
    ``params``. Nothing starts until the pipeline runs."""
    base_url = os.environ.get(BASE_URL_ENV)
    if base_url:
        from streamflow.serving.openai_compat import OpenAIServing

        return OpenAIServing(os.environ.get("STREAMFLOW_MODEL") or None, base_url, params=params)
    from streamflow.serving.vllm_backend import VLLMServing

    return VLLMServing(params=params)


def pin_llm_workers(pipeline: object, serving: LLMServing, workers: int | None) -> None:
    """Let each step of ``pipeline`` (an attribute) that calls ``serving`` work on ``workers``
    batches at once; ``None`` leaves them unset, so each step's window follows the serving's
    admission limit (B12: the first row sooner, the same throughput)."""
    if workers is None:
        return
    for op in vars(pipeline).values():
        if getattr(op, "llm_serving", None) is serving and op is not serving:
            op.options(workers=workers)
