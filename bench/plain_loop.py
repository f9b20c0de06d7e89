"""B1 baseline: the refiner chain as a plain single-process Python loop, no runtime at all.

It reads the JSONL file line by line with msgspec, gathers ``BATCH_SIZE`` rows, calls each of
streamflow's ten refiners' ``process(batch, input_key="text")`` in turn (the very hooks the
streamflow pipeline runs), and writes the rows with msgspec. Prints one JSON line.

    python bench/plain_loop.py IN.jsonl OUT.jsonl [--batch-size N]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import msgspec

from streamflow.operators.text import refiners

try:
    from bench.chain import BATCH_SIZE, INPUT_KEY, REFINERS
except ImportError:  # run as a script: bench/ is on sys.path, the repository root is not
    from chain import BATCH_SIZE, INPUT_KEY, REFINERS  # type: ignore[no-redef]


def run(src: Path, dst: Path, batch_size: int) -> int:
    ops = [getattr(refiners, name)() for name in REFINERS]
    decode = msgspec.json.Decoder().decode
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    rows_written = 0

    def flush(batch: list[dict]) -> None:
        nonlocal rows_written
        for op in ops:
            batch = op.process(batch, input_key=INPUT_KEY)
        for row in batch:
            encoder.encode_into(row, buffer, -1)
            buffer.extend(b"\n")
        out.write(buffer)
        buffer.clear()
        rows_written += len(batch)

    with src.open("rb") as inp, dst.open("wb") as out:
        batch: list[dict] = []
        for line in inp:
            if line.strip():
                batch.append(decode(line))
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    return rows_written


def cpu_seconds() -> float:
    """User + system CPU time of this process and its children so far."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    start, cpu_start = time.perf_counter(), cpu_seconds()
    rows = run(args.src, args.dst, args.batch_size)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    result = {
        "bench": "B1",
        "impl": "plain_loop",
        "rows": rows,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "rows_per_s": round(rows / seconds, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
