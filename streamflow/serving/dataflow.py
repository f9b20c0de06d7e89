"""DataFlow's serving classes, under DataFlow's names and with DataFlow's parameters.

Each is a thin constructor over one of ours, so a DataFlow pipeline's ``__init__`` runs unchanged
and gets streamflow's backpressure, retries and resume. What the parameters mean:

- ``APILLMServing_request(api_url, key_name_of_api_key, model_name, temperature, max_workers,
  max_retries, connect_timeout, read_timeout, **configs)`` is :class:`OpenAIServing`. ``api_url``
  is DataFlow's full endpoint (``.../v1/chat/completions``); the API key is read from the
  environment variable ``key_name_of_api_key`` (``DF_API_KEY`` by default, as in DataFlow);
  ``max_workers`` is the concurrency limit; ``configs`` may set ``max_tokens``, ``top_p``,
  ``seed``, ``stop`` and ``n``, anything else is refused by name (DataFlow forwards it to the
  server unread: a typo there goes unnoticed).
- ``APIVLMServing_openai`` is the same over ``api_url`` given as a base URL (DataFlow's default
  ``https://api.openai.com/v1``); image content parts go through as the operators build them.
- ``LocalModelLLMServing_vllm(hf_model_name_or_path, ..., vllm_*)`` is :class:`VLLMServing`
  (in-process engine). ``vllm_top_k`` and ``vllm_repetition_penalty`` are accepted but not
  applied: streamflow samples with temperature and top-p only.
- ``LocalHostLLMAPIServing_vllm`` and ``LocalModelLLMServing_sglang`` are :class:`OpenAIServing`
  pointed at a server you start (``vllm serve MODEL --port P`` or SGLang's
  ``python -m sglang.launch_server``): DataFlow starts it as a child process; streamflow does
  not manage servers, so the message says what to run when none answers.

``generate_from_input`` is synchronous in DataFlow. Here it is both: awaited in async code, and
called plainly from synchronous code (a DataFlow custom operator, a script) it returns the
answers (see :meth:`~streamflow.serving.base.LLMServing.generate_from_input`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from streamflow.serving.base import SamplingParams, ServingStartError
from streamflow.serving.hedging import DEFAULT_HEDGING, Hedging
from streamflow.serving.openai_compat import OpenAIServing
from streamflow.serving.vllm_backend import VLLMServing

__all__ = [
    "APILLMServing_request",
    "APIVLMServing_openai",
    "LocalHostLLMAPIServing_vllm",
    "LocalModelLLMServing_sglang",
    "LocalModelLLMServing_vllm",
]

_SAMPLING_CONFIGS = frozenset({"max_tokens", "top_p", "seed", "stop", "n"})
_ENDPOINT = "/chat/completions"


def _base_url(api_url: str) -> str:
    """DataFlow's full chat endpoint as the base URL our client appends ``/chat/completions`` to."""
    url = api_url.rstrip("/")
    return url[: -len(_ENDPOINT)] if url.endswith(_ENDPOINT) else url


def _sampling(owner: str, temperature: float, configs: dict[str, Any]) -> SamplingParams:
    unknown = sorted(configs.keys() - _SAMPLING_CONFIGS)
    if unknown:
        raise TypeError(
            f"{owner}() got unsupported configs {', '.join(map(repr, unknown))} "
            f"(it accepts {', '.join(sorted(_SAMPLING_CONFIGS))})"
        )
    if "stop" in configs:
        stop = configs["stop"]
        configs = {**configs, "stop": (stop,) if isinstance(stop, str) else tuple(stop)}
    return SamplingParams(temperature=temperature, **configs)


class APILLMServing_request(OpenAIServing):
    """DataFlow's ``APILLMServing_request``: any OpenAI-compatible chat-completions endpoint.

    Unlike DataFlow's, it hedges straggling requests (``hedging``, as :class:`OpenAIServing`;
    ``hedging=None`` sends every request once, as DataFlow does)."""

    def __init__(
        self,
        api_url: str = "https://api.openai.com/v1/chat/completions",
        key_name_of_api_key: str = "DF_API_KEY",
        model_name: str = "gpt-4o",
        temperature: float = 0.0,
        max_workers: int = 10,
        max_retries: int = 5,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        hedging: Hedging | None = DEFAULT_HEDGING,
        **configs: Any,
    ) -> None:
        if "timeout" in configs:  # DataFlow's deprecated spelling of read_timeout
            read_timeout = float(configs.pop("timeout"))
        super().__init__(
            model_name,
            _base_url(api_url),
            api_key_env=key_name_of_api_key,
            max_concurrency=max_workers,
            max_retries=max_retries,
            timeout=connect_timeout + read_timeout,
            params=_sampling(type(self).__name__, temperature, configs),
            hedging=hedging,
        )


class APIVLMServing_openai(OpenAIServing):
    """DataFlow's ``APIVLMServing_openai``: a vision model behind an OpenAI-compatible API."""

    def __init__(
        self,
        api_url: str = "https://api.openai.com/v1",
        key_name_of_api_key: str = "DF_API_KEY",
        model_name: str = "o4-mini",
        max_workers: int = 10,
        timeout: int = 1800,
        temperature: float = 0.0,
    ) -> None:
        super().__init__(
            model_name,
            _base_url(api_url),
            api_key_env=key_name_of_api_key,
            max_concurrency=max_workers,
            timeout=float(timeout),
            deadline=max(600.0, 3.0 * timeout),
            params=SamplingParams(temperature=temperature),
        )


class LocalModelLLMServing_vllm(VLLMServing):
    """DataFlow's ``LocalModelLLMServing_vllm``: vLLM in this process."""

    def __init__(
        self,
        hf_model_name_or_path: str | Path | None = None,
        hf_cache_dir: str | None = None,
        hf_local_dir: str | None = None,
        vllm_tensor_parallel_size: int = 1,
        vllm_temperature: float = 0.7,
        vllm_top_p: float = 0.9,
        vllm_max_tokens: int = 1024,
        vllm_top_k: int = 40,
        vllm_repetition_penalty: float = 1.0,
        vllm_seed: int | None = None,
        vllm_max_model_len: int | None = None,
        vllm_gpu_memory_utilization: float = 0.9,
    ) -> None:
        engine: dict[str, Any] = {}
        if vllm_gpu_memory_utilization != 0.9:  # vLLM's default too; the CPU build ignores it
            engine["gpu_memory_utilization"] = vllm_gpu_memory_utilization
        if vllm_tensor_parallel_size != 1:
            engine["tensor_parallel_size"] = vllm_tensor_parallel_size
        if hf_cache_dir is not None:
            engine["download_dir"] = hf_cache_dir
        model = hf_local_dir or hf_model_name_or_path
        super().__init__(
            model,
            params=SamplingParams(
                temperature=vllm_temperature,
                top_p=vllm_top_p,
                max_tokens=vllm_max_tokens,
                seed=vllm_seed,
            ),
            max_model_len=vllm_max_model_len or 4096,
            seed=vllm_seed or 0,
            engine_kwargs=engine or None,
        )


class _ServerYouStart(OpenAIServing):
    """DataFlow starts these servers itself; streamflow asks you to start one and connects."""

    def __init__(
        self,
        launch: str,
        base_url: str,
        model: str | None,
        max_workers: int,
        params: SamplingParams,
    ) -> None:
        super().__init__(
            model, base_url, api_key_env="DF_API_KEY", max_concurrency=max_workers, params=params
        )
        self.launch = launch

    async def _start(self) -> None:
        try:
            await super()._start()
        except ServingStartError as exc:
            raise ServingStartError(f"{exc}; start the server first: {self.launch}") from exc


class LocalHostLLMAPIServing_vllm(_ServerYouStart):
    """DataFlow's ``LocalHostLLMAPIServing_vllm``: a ``vllm serve`` on this host."""

    def __init__(
        self,
        hf_model_name_or_path: str,
        hf_cache_dir: str | None = None,
        max_workers: int = 16,
        vllm_server_port: int = 12345,
        vllm_server_host: str = "127.0.0.1",
        vllm_tensor_parallel_size: int = 1,
        vllm_temperature: float = 0.7,
        vllm_top_p: float = 0.9,
        vllm_max_tokens: int = 1024,
        vllm_top_k: int = 40,
        vllm_max_model_len: int | None = None,
        vllm_gpu_memory_utilization: float = 0.9,
        vllm_server_start_timeout: int = 120,
    ) -> None:
        launch = (
            f"vllm serve {hf_model_name_or_path} --host {vllm_server_host} "
            f"--port {vllm_server_port} --tensor-parallel-size {vllm_tensor_parallel_size}"
        )
        super().__init__(
            launch,
            f"http://{vllm_server_host}:{vllm_server_port}/v1",
            None,  # the model the server lists
            max_workers,
            SamplingParams(
                temperature=vllm_temperature, top_p=vllm_top_p, max_tokens=vllm_max_tokens
            ),
        )


class LocalModelLLMServing_sglang(_ServerYouStart):
    """DataFlow's ``LocalModelLLMServing_sglang``, through SGLang's OpenAI-compatible server."""

    def __init__(
        self,
        hf_model_name_or_path: str | None = None,
        hf_cache_dir: str | None = None,
        hf_local_dir: str | None = None,
        sgl_tp_size: int = 1,
        sgl_dp_size: int = 1,
        sgl_mem_fraction_static: float = 0.9,
        sgl_max_new_tokens: int = 2048,
        sgl_temperature: float = 1.0,
        sgl_top_p: float = 1.0,
        sgl_port: int = 30000,
        sgl_host: str = "127.0.0.1",
        max_workers: int = 16,
        **sgl_options: Any,
    ) -> None:
        if sgl_options:
            warnings.warn(
                f"LocalModelLLMServing_sglang: {', '.join(sorted(sgl_options))} not applied "
                "(set them on the SGLang server)",
                stacklevel=2,
            )
        model = hf_local_dir or hf_model_name_or_path
        launch = (
            f"python -m sglang.launch_server --model-path {model} --host {sgl_host} "
            f"--port {sgl_port} --tp-size {sgl_tp_size} --dp-size {sgl_dp_size}"
        )
        super().__init__(
            launch,
            f"http://{sgl_host}:{sgl_port}/v1",
            None,
            max_workers,
            SamplingParams(
                temperature=sgl_temperature, top_p=sgl_top_p, max_tokens=sgl_max_new_tokens
            ),
        )
