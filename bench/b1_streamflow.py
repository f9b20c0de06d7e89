"""B1: the ten-refiner chain as a streamflow pipeline (source -> 10 refiner actors -> sink).

The same refiner objects and hooks as ``plain_loop.py``, the same batch size; the difference is
the runtime: one actor per refiner, bounded channels between them, the file source and sink.
Prints one JSON line.

    python bench/b1_streamflow.py IN.jsonl OUT.jsonl [--batch-size N]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from streamflow import FileStorage, Pipeline
from streamflow.operators.text import refiners

try:
    from bench.chain import BATCH_SIZE, INPUT_KEY, REFINERS
except ImportError:  # run as a script: bench/ is on sys.path, the repository root is not
    from chain import BATCH_SIZE, INPUT_KEY, REFINERS  # type: ignore[no-redef]


class Chain(Pipeline):
    def __init__(self, src: str, dst: str) -> None:
        super().__init__()
        self.storage = FileStorage(src, output_file=dst)
        self.ops = [getattr(refiners, name)() for name in REFINERS]

    def forward(self) -> None:
        for op in self.ops:
            op.run(self.storage.step(), input_key=INPUT_KEY)


def cpu_seconds() -> float:
    """User + system CPU time of this process and its children so far."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    chain = Chain(args.src, args.dst)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    result = chain.run(batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    rows = result.rows_written
    print(
        json.dumps(
            {
                "bench": "B1",
                "impl": "streamflow",
                "rows": rows,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "rows_per_s": round(rows / seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
