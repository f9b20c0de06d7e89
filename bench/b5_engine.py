"""B5: engine efficiency. What does streamflow's runtime cost on top of vLLM's async engine?

One measurement per invocation; each starts its own engine (not timed) and warms it up:

- ``direct``: 256 chat prompts (max_tokens 16..128) gathered straight into ``AsyncLLM``.
- ``streamflow``: the same prompts as JSONL rows through a one-operator pipeline, an async
  Generator calling ``VLLMServing.complete`` per row.
- ``three-ops``: three LLM operators (write, summarise, title; max_tokens 64) with streamflow's
  ``PromptedGenerator``; ``bench/b5_dataflow.py`` runs the same pipeline in open-dataflow.

Every engine gets the settings in ``b5_common.ENGINE``; decoding is greedy, so every side
generates the same tokens. Prints one JSON line.

    python bench/b5_engine.py direct|streamflow|three-ops [--model DIR] [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from streamflow import FileStorage, Generator, Pipeline
from streamflow.models import prepare_default_model
from streamflow.serving.base import SamplingParams
from streamflow.serving.vllm_backend import VLLMServing

try:
    from bench.b5_common import ENGINE, ROWS, THREE_OPS, THREE_OPS_MAX_TOKENS, write_rows
except ImportError:  # run as a script: bench/ is on sys.path, the repository root is not
    from b5_common import (  # type: ignore[no-redef]
        ENGINE,
        ROWS,
        THREE_OPS,
        THREE_OPS_MAX_TOKENS,
        write_rows,
    )

WARM_UP = [f"Say hello {i}." for i in range(8)]


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.open()]


async def run_direct(model: Path, src: Path) -> dict[str, Any]:
    """The reference: vLLM's AsyncLLM alone, every request gathered at once."""
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.renderers import ChatParams
    from vllm.sampling_params import RequestOutputKind
    from vllm.sampling_params import SamplingParams as VLLMSamplingParams
    from vllm.v1.engine.async_llm import AsyncLLM

    args = AsyncEngineArgs(
        model=str(model),
        max_model_len=ENGINE["max_model_len"],
        max_num_seqs=ENGINE["max_num_seqs"],
        kv_cache_memory_bytes=int(ENGINE["kv_cache_gib"] * 2**30),
        seed=ENGINE["seed"],
        enforce_eager=True,
        disable_log_stats=True,
    )
    engine = AsyncLLM.from_engine_args(args)
    chat = ChatParams(chat_template_kwargs={"add_generation_prompt": True})

    async def one(request_id: str, prompt: str, max_tokens: int) -> int:
        messages: list[Any] = [{"role": "user", "content": prompt}]
        _, (engine_prompt,) = await engine.renderer.render_chat_async([messages], chat)
        params = VLLMSamplingParams(
            temperature=0.0, max_tokens=max_tokens, output_kind=RequestOutputKind.FINAL_ONLY
        )
        final = None
        async for output in engine.generate(engine_prompt, params, request_id):
            final = output
        assert final is not None
        return len(final.outputs[0].token_ids)

    rows = read_rows(src)
    try:
        await asyncio.gather(*(one(f"warm-{i}", p, 8) for i, p in enumerate(WARM_UP)))
        start = time.perf_counter()
        tokens = await asyncio.gather(
            *(one(f"b5-{i}", r["prompt"], r["max_tokens"]) for i, r in enumerate(rows))
        )
        seconds = time.perf_counter() - start
    finally:
        engine.shutdown()
    return {"requests": len(rows), "generated_tokens": sum(tokens), "seconds": seconds}


class Ask(Generator):
    """One request per row, with the row's own max_tokens; a batch's requests go out together."""

    expensive = True  # as every LLM operator: with no workers chosen, the stage is windowed

    def __init__(self, llm_serving: VLLMServing) -> None:
        self.llm_serving = llm_serving

    async def process(self, rows: list[dict], input_key: str, output_key: str) -> list[dict]:
        async def one(row: dict) -> dict:
            params = SamplingParams(max_tokens=row["max_tokens"])
            completion = await self.llm_serving.complete(row[input_key], params=params)
            return {**row, output_key: completion.text}

        return list(await asyncio.gather(*(one(r) for r in rows)))


class OneOperator(Pipeline):
    def __init__(self, serving: VLLMServing, src: Path, dst: Path, workers: int) -> None:
        self.storage = FileStorage(src, output_file=dst)
        self.ask = Ask(serving).options(workers=workers or None)

    def forward(self) -> None:
        self.ask.run(self.storage.step(), input_key="prompt", output_key="answer")


class ThreeOperators(Pipeline):
    def __init__(self, serving: VLLMServing, src: Path, dst: Path, workers: int) -> None:
        from streamflow.operators.general.llm import PromptedGenerator

        self.storage = FileStorage(src, output_file=dst)
        self.steps = [
            (
                PromptedGenerator(serving, user_prompt=prompt, accept_truncated=True).options(
                    workers=workers or None
                ),
                keys,
            )
            for prompt, *keys in THREE_OPS
        ]

    def forward(self) -> None:
        for op, (input_key, output_key) in self.steps:
            op.run(self.storage.step(), input_key=input_key, output_key=output_key)


async def run_pipeline(
    mode: str, model: Path, src: Path, batch_size: int, workers: int
) -> dict[str, Any]:
    max_tokens = THREE_OPS_MAX_TOKENS if mode == "three-ops" else 256
    serving = VLLMServing(model, params=SamplingParams(max_tokens=max_tokens), **ENGINE)
    dst = src.with_name("out.jsonl")
    pipeline_class = ThreeOperators if mode == "three-ops" else OneOperator
    pipeline = pipeline_class(serving, src, dst, workers)
    async with serving:  # started and warmed up outside the timed run
        warm_up = SamplingParams(max_tokens=8)
        await asyncio.gather(*(serving.complete(p, params=warm_up) for p in WARM_UP))
        start = time.perf_counter()
        result = await pipeline.arun(batch_size=batch_size)
        seconds = time.perf_counter() - start
    rows = len(read_rows(dst))
    assert rows == len(read_rows(src)), f"{rows} rows written"
    tokens = sum(s.completion_tokens for s in result.stats.operators)
    requests = rows * len(result.stats.operators)
    return {"requests": requests, "generated_tokens": tokens, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["direct", "streamflow", "three-ops"])
    parser.add_argument("--model", type=Path, help="model directory (default: SmolLM2)")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=8, help="0: none chosen (the serving's window decides)"
    )
    args = parser.parse_args()
    model = args.model or prepare_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        src = write_rows(Path(tmp) / "in.jsonl", args.rows)
        if args.mode == "direct":
            result = asyncio.run(run_direct(model, src))
        else:
            result = asyncio.run(run_pipeline(args.mode, model, src, args.batch_size, args.workers))
    seconds = result["seconds"]
    pipeline_options = {"batch_size": args.batch_size, "workers": args.workers}
    print(
        json.dumps(
            {
                "bench": "B5",
                "impl": args.mode,
                "rows": args.rows,
                **result,
                "seconds": round(seconds, 2),
                "tokens_per_s": round(result["generated_tokens"] / seconds, 1),
                "rows_per_s": round(args.rows / seconds, 2),
                **({} if args.mode == "direct" else pipeline_options),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
