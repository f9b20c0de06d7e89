"""File source read cost per format: what the input checks of issue 9 add to plain reading.

Writes 200,000 rows (``id``, ``text``, ``score``) once as JSONL, CSV, ``.jsonl.zst`` and a JSON
array under ``bench/data/source-read/``, then reads each with :class:`FileSource` REPEAT times
and prints one JSON line per file: rows, best CPU seconds of a full read (CPU time, so other
load on a shared machine moves it less than wall time), rows per CPU second, and the time
``fields()`` takes (it reads a sample of up to 1,000 rows). Run it with ``PYTHONPATH`` set to two
checkouts to compare them.

    PYTHONPATH=. python bench/source_read.py [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import zstandard

from streamflow.io.sources import FileSource

DATA = Path(__file__).resolve().parent / "data" / "source-read"


def write(rows: int) -> list[Path]:
    folder = DATA / str(rows)
    paths = [folder / name for name in ("in.jsonl", "in.csv", "in.jsonl.zst", "in.json")]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {"id": i, "text": f"lorem ipsum dolor sit amet {i} " * 6, "score": i / 7}
        for i in range(rows)
    ]
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    paths[0].write_bytes(lines)
    with open(paths[1], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "score"])
        writer.writerows([r["id"], r["text"], r["score"]] for r in records)
    paths[2].write_bytes(zstandard.ZstdCompressor().compress(lines))
    paths[3].write_text(json.dumps(records))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for path in write(args.rows):
        best = float("inf")
        for _ in range(args.repeat):
            start, count = time.process_time(), 0
            for batch, _ in FileSource(path).iter_batches(1000):
                count += len(batch)
            best = min(best, time.process_time() - start)
        start = time.process_time()
        FileSource(path).fields()
        fields_ms = (time.process_time() - start) * 1000
        result = {
            "file": path.name,
            "rows": count,
            "cpu_s": round(best, 3),
            "rows_per_cpu_s": round(count / best),
            "fields_ms": round(fields_ms, 1),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
