"""B6 reference: three of open-dataflow's PromptedGenerator in a row, as its users run them.

Runs in open-dataflow's own virtual environment. One ``APILLMServing_request`` with
``max_workers=C`` (its thread pool: C calls at once) serves the three operators; each operator
runs over the whole dataset before the next starts, which is DataFlow's execution model.
Prints one JSON line.

    B6_API_KEY=x python bench/b6_dataflow.py IN.jsonl CACHE_DIR BASE_URL C
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

# The venv's torchvision/torchaudio wheels do not match its torch, and importing
# dataflow.serving pulls them in through transformers; this text-only run needs neither.
for _module in ("torchvision", "torchaudio", "torchcodec"):
    sys.modules[_module] = None  # type: ignore[assignment]

from dataflow.operators.core_text import PromptedGenerator  # noqa: E402
from dataflow.serving import APILLMServing_request  # noqa: E402
from dataflow.utils.storage import FileStorage  # noqa: E402

OPS = 3
READS, WRITES = ("text", "a", "b"), ("a", "b", "c")


class ThreeCalls:
    def __init__(self, src: str, cache_dir: str, base_url: str, cap: int) -> None:
        self.storage = FileStorage(
            first_entry_file_name=src,
            cache_path=cache_dir,
            file_name_prefix="b6",
            cache_type="jsonl",
        )
        self.serving = APILLMServing_request(
            api_url=f"{base_url}/chat/completions",
            key_name_of_api_key="B6_API_KEY",
            model_name="b6",
            max_workers=cap,
        )
        self.ops = [PromptedGenerator(self.serving, user_prompt=f"step {i}: ") for i in range(OPS)]

    def forward(self) -> None:
        for op, read, write in zip(self.ops, READS, WRITES, strict=True):
            op.run(storage=self.storage.step(), input_key=read, output_key=write)


def main() -> None:
    src, cache_dir, base_url, cap = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pipeline = ThreeCalls(src, cache_dir, base_url, cap)
    started, cpu_started, wall_started = time.perf_counter(), time.process_time(), time.time()
    pipeline.forward()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    output = Path(cache_dir) / f"b6_step{OPS}.jsonl"
    rows = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    answered = sum(1 for r in rows if r.get("c"))
    result = {"impl": "open-dataflow", "rows": answered, "failed": len(rows) - answered}
    # its output is written whole, after the last step: the first row is there at the end
    first_row = round(output.stat().st_mtime - wall_started, 2)
    timing = {"seconds": seconds, "first_row_s": first_row, "cpu_seconds": round(cpu, 2)}
    print(json.dumps({**result, **timing}))


if __name__ == "__main__":
    main()
