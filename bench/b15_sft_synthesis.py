"""B15: text_sft_synthesis on the embedded engine, against the engine's own throughput.

B5's method, on the synthesis pipeline. Two measurements, each starting its own engine with
``b5_common.ENGINE`` (not timed) and warming it up:

- ``pipeline``: ``TextSFTSynthesisPipeline`` from nothing (``--samples`` rows wanted: a third
  as many seeds; Condor questions -> answers -> critique -> rewrite -> AlpaGasus judge), greedy,
  every request recorded (messages, JSON schema, max_tokens) to ``--requests``.
- ``direct``: the recorded requests, all gathered at once straight into ``AsyncLLM`` (vLLM's own
  chat renderer and structured outputs), no pipeline and no dependency between them: what the
  engine does with that work when nothing waits on anything.

Prints one JSON line; tokens/s of the pipeline divided by those of ``direct`` is the share of
the engine's throughput the pipeline keeps, although its requests depend on each other (a
rewrite waits for its critique, which waits for its answer...).

    python bench/b15_sft_synthesis.py pipeline --samples 48 --requests bench/data/b15.jsonl
    python bench/b15_sft_synthesis.py direct --requests bench/data/b15.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from b5_common import ENGINE

from streamflow.models import prepare_default_model
from streamflow.serving.base import Completion, Message, SamplingParams
from streamflow.serving.vllm_backend import VLLMServing

WARM_UP = [f"Say hello {i}." for i in range(8)]


class RecordingServing(VLLMServing):
    """The embedded engine, writing down every request it serves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[dict[str, Any]] = []

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        self.log.append(
            {"messages": messages, "json_schema": json_schema, "max_tokens": params.max_tokens}
        )
        return await super()._complete(messages, json_schema, params)


async def run_pipeline(
    model: Path, samples: int, max_tokens: int, requests: Path
) -> dict[str, Any]:
    from streamflow.pipelines.text_sft_synthesis import TextSFTSynthesisPipeline

    serving = RecordingServing(model, params=SamplingParams(max_tokens=max_tokens), **ENGINE)
    pipeline = TextSFTSynthesisPipeline(serving, num_samples=samples, max_tokens=max_tokens)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sft.jsonl"
        async with serving:
            warm = SamplingParams(max_tokens=8)
            await asyncio.gather(*(serving.complete(p, params=warm) for p in WARM_UP))
            serving.log.clear()
            start = time.perf_counter()
            result = await pipeline.arun(output=out, run_dir=Path(tmp) / "run")
            seconds = time.perf_counter() - start
        rows = len(out.read_text().splitlines())
        dead_letters = result.dead_letters.count  # read from the run store, before it goes
    requests.parent.mkdir(parents=True, exist_ok=True)
    requests.write_text("".join(json.dumps(r) + "\n" for r in serving.log))
    ops = result.stats.operators
    return {
        "seeds": samples // 3,
        "rows_out": rows,
        "rows_generated": ops[0].rows_out,
        "dead_letters": dead_letters,
        "requests": sum(op.requests for op in ops),
        "generated_tokens": sum(op.completion_tokens for op in ops),
        "seconds": seconds,
    }


async def run_direct(model: Path, requests: Path) -> dict[str, Any]:
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.renderers import ChatParams
    from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams
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
    recorded = [json.loads(line) for line in requests.read_text().splitlines()]

    async def one(request_id: str, messages: list[Any], schema: Any, max_tokens: int) -> int:
        _, (prompt,) = await engine.renderer.render_chat_async([messages], chat)
        params = VLLMSamplingParams(
            temperature=0.0,
            max_tokens=max_tokens,
            structured_outputs=(
                StructuredOutputsParams(json=schema, disable_any_whitespace=True)
                if schema
                else None
            ),
            output_kind=RequestOutputKind.FINAL_ONLY,
        )
        final = None
        async for output in engine.generate(prompt, params, request_id):
            final = output
        assert final is not None
        return len(final.outputs[0].token_ids)

    try:
        warm = [[{"role": "user", "content": p}] for p in WARM_UP]
        await asyncio.gather(*(one(f"warm-{i}", m, None, 8) for i, m in enumerate(warm)))
        start = time.perf_counter()
        tokens = await asyncio.gather(
            *(
                one(f"b15-{i}", r["messages"], r["json_schema"], r["max_tokens"])
                for i, r in enumerate(recorded)
            )
        )
        seconds = time.perf_counter() - start
    finally:
        engine.shutdown()
    return {"requests": len(recorded), "generated_tokens": sum(tokens), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["pipeline", "direct"])
    parser.add_argument("--model", type=Path, help="model directory (default: SmolLM2)")
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--requests", type=Path, default=Path("bench/data/b15_requests.jsonl"))
    args = parser.parse_args()
    model = args.model or prepare_default_model()
    if args.mode == "pipeline":
        result = asyncio.run(run_pipeline(model, args.samples, args.max_tokens, args.requests))
    else:
        result = asyncio.run(run_direct(model, args.requests))
    seconds = result["seconds"]
    line = {"bench": "B15", "impl": args.mode, **result, "seconds": round(seconds, 2)}
    line["tokens_per_s"] = round(result["generated_tokens"] / seconds, 1)
    line["requests_per_s"] = round(result["requests"] / seconds, 2)
    if args.mode == "pipeline":
        line["rows_per_s"] = round(result["rows_out"] / seconds, 3)
        line["generated_rows_per_s"] = round(result["rows_generated"] / seconds, 3)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
