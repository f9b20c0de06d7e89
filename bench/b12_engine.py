"""B12 on the embedded engine: reasoning_math's tokens/s against the engine's own (B5's method).

- ``pipeline``: ``ReasoningMathPipeline`` on N GSM8K questions, on one ``VLLMServing`` with B5's
  engine settings; every request the pipeline makes (messages, JSON schema, sampling) is
  recorded to ``REQUESTS`` with the tokens it generated.
- ``direct``: the recorded requests, all gathered at once straight into the engine (vLLM's
  chat rendering and ``AsyncLLM.generate``, no pipeline, no admission limit): what the engine
  does with the same work when nothing upstream holds it back. Greedy decoding, so both sides
  generate the same tokens.

Each invocation starts its own engine (not timed; prefix caching would favour a replay on a
warm engine) and warms it up with 8 short requests.

    python bench/b12_engine.py pipeline REQUESTS.jsonl [--rows 32] [--workers N] [--batch-size 8]
    python bench/b12_engine.py direct REQUESTS.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from streamflow.models import prepare_default_model
from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams
from streamflow.serving.vllm_backend import VLLMServing

try:
    from bench.b5_common import ENGINE
except ImportError:  # run as a script
    from b5_common import ENGINE  # type: ignore[no-redef]

GSM8K = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gsm8k" / "test.jsonl"
WARM_UP = [f"Say hello {i}." for i in range(8)]


class Recording(LLMServing):
    """Passes every request to ``inner`` and keeps it, with the tokens it generated."""

    def __init__(self, inner: VLLMServing) -> None:
        super().__init__(max_in_flight=inner.max_in_flight, params=inner.params)
        self.inner = inner
        self.model = inner.model
        self.log: list[dict[str, Any]] = []

    def text_tokenizer(self) -> Any:
        return self.inner.text_tokenizer()

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        completion = await self.inner._complete(messages, json_schema, params)
        self.log.append(
            {
                "messages": messages,
                "json_schema": json_schema,
                "params": dataclasses.asdict(params),
                "completion_tokens": completion.usage.completion_tokens,
            }
        )
        return completion


async def warm(serving: VLLMServing) -> None:
    params = SamplingParams(max_tokens=8)
    await asyncio.gather(
        *(serving._complete([{"role": "user", "content": p}], None, params) for p in WARM_UP)
    )


async def run_pipeline(
    log_path: Path, rows: int, workers: int | None, batch_size: int, gsm8k: Path
) -> dict:
    from streamflow.pipelines.reasoning_math import SAMPLING, ReasoningMathPipeline

    engine = VLLMServing(prepare_default_model(), params=SAMPLING, **ENGINE)
    serving = Recording(engine)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with src.open("w") as f:
            for line in gsm8k.open().readlines()[:rows]:
                item = json.loads(line)
                f.write(
                    json.dumps({"instruction": item["question"], "golden_answer": item["answer"]})
                    + "\n"
                )
        pipeline = ReasoningMathPipeline(serving, llm_workers=workers)
        async with engine, serving:
            await warm(engine)
            started = time.perf_counter()
            result = await pipeline.arun(
                input=src, output=Path(tmp) / "out.jsonl", batch_size=batch_size
            )
            seconds = time.perf_counter() - started
    with log_path.open("w") as f:
        for entry in serving.log:
            f.write(json.dumps(entry) + "\n")
    tokens = sum(e["completion_tokens"] for e in serving.log)
    return {
        "requests": len(serving.log),
        "generated_tokens": tokens,
        "seconds": seconds,
        "rows_out": result.rows_written,
        "failed": result.stats.failed,
        "workers": workers,
        "batch_size": batch_size,
    }


async def run_direct(log_path: Path) -> dict:
    entries = [json.loads(line) for line in log_path.open()]
    engine = VLLMServing(prepare_default_model(), **ENGINE)
    async with engine:
        await warm(engine)
        started = time.perf_counter()
        completions = await asyncio.gather(
            *(
                engine._complete(e["messages"], e["json_schema"], _params(e["params"]))
                for e in entries
            )
        )
        seconds = time.perf_counter() - started
    tokens = sum(c.usage.completion_tokens for c in completions)
    recorded = sum(e["completion_tokens"] for e in entries)
    return {
        "requests": len(entries),
        "generated_tokens": tokens,
        "recorded_tokens": recorded,
        "seconds": seconds,
    }


def _params(raw: dict[str, Any]) -> SamplingParams:
    return SamplingParams(**{**raw, "stop": tuple(raw.get("stop") or ())})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["pipeline", "direct"])
    parser.add_argument("requests", type=Path)
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=None, help="pin the LLM steps (default: the stage window)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--gsm8k", type=Path, default=GSM8K)
    args = parser.parse_args()
    if args.mode == "pipeline":
        result = asyncio.run(
            run_pipeline(args.requests, args.rows, args.workers, args.batch_size, args.gsm8k)
        )
    else:
        result = asyncio.run(run_direct(args.requests))
    result.update(
        bench="B12-engine",
        impl=args.mode,
        seconds=round(result["seconds"], 2),
        tokens_per_s=round(result["generated_tokens"] / result["seconds"], 1),
    )
    print(json.dumps(result), flush=True)
    if args.mode == "direct":
        print(f"# replayed {result['requests']} requests", file=sys.stderr)


if __name__ == "__main__":
    main()
