"""B1 reference: the same ten-refiner chain in open-dataflow, run as its users run it.

Runs in open-dataflow's own virtual environment (see BENCHMARKS.md), not streamflow's. The
pipeline has the shape of DataFlow's shipped CPU pipelines: a ``FileStorage`` on the input
file, one refiner object per step, and ``forward()`` calling ``op.run(storage=
self.storage.step(), input_key="text")`` for each. DataFlow writes one full file per step under
the cache directory; the last one is the output. Prints one JSON line (tqdm bars and logs go to
stderr).

    python bench/b1_dataflow.py IN.jsonl CACHE_DIR
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from dataflow.operators import general_text
from dataflow.utils.storage import FileStorage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chain import INPUT_KEY, REFINERS


class Chain:
    def __init__(self, src: str, cache_dir: str) -> None:
        self.storage = FileStorage(
            first_entry_file_name=src,
            cache_path=cache_dir,
            file_name_prefix="b1",
            cache_type="jsonl",
        )
        self.ops = [getattr(general_text, name)() for name in REFINERS]

    def forward(self) -> None:
        for op in self.ops:
            op.run(storage=self.storage.step(), input_key=INPUT_KEY)


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/b1_dataflow.py IN.jsonl CACHE_DIR")
    src, cache_dir = sys.argv[1], sys.argv[2]
    chain = Chain(src, cache_dir)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start, cpu_start = time.perf_counter(), usage.ru_utime + usage.ru_stime
    chain.forward()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_start
    output = Path(cache_dir) / f"b1_step{len(REFINERS)}.jsonl"
    rows = count_lines(output)
    result = {
        "bench": "B1",
        "impl": "open-dataflow",
        "rows": rows,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "rows_per_s": round(rows / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "output": str(output),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
