"""B3: the B1 refiner chain with the run store enabled (a run directory) vs disabled.

Runs both variants REPEAT times, interleaved, and prints one JSON line with the median rows/s
of each and their ratio (target >= 0.9), and the same per CPU second (user + system time of
the process and its threads), which other load on a shared machine moves far less.

    python bench/b3_store.py IN.jsonl [--repeat 3]
    python bench/b3_store.py IN.jsonl --only enabled    # one run of one variant; start both
    python bench/b3_store.py IN.jsonl --only disabled   # at once to compare them side by side
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from b1_streamflow import Chain, cpu_seconds


def one(src: str, work: Path, store: bool) -> tuple[float, float]:
    """rows/s and rows per CPU second of one run."""
    out = work / "out.jsonl"
    run_dir = work / "run" if store else None
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)
    started, cpu_started = time.perf_counter(), cpu_seconds()
    result = Chain(src, str(out)).run(run_dir=run_dir, batch_size=1000)
    rows = result.rows_written
    return rows / (time.perf_counter() - started), rows / (cpu_seconds() - cpu_started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        choices=["enabled", "disabled"],
        help="one run of one variant (to run both side by side, as two processes at once)",
    )
    args = parser.parse_args()
    if args.only is not None:
        with tempfile.TemporaryDirectory() as tmp:
            rate, cpu_rate = one(args.src, Path(tmp), store=args.only == "enabled")
        print(
            json.dumps(
                {
                    "bench": "B3",
                    "store": args.only,
                    "rows_per_s": round(rate),
                    "rows_per_cpu_s": round(cpu_rate),
                }
            )
        )
        return
    runs: dict[str, list[tuple[float, float]]] = {"disabled": [], "enabled": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            runs["disabled"].append(one(args.src, Path(tmp), store=False))
            runs["enabled"].append(one(args.src, Path(tmp), store=True))
    wall = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
    print(
        json.dumps(
            {
                "bench": "B3",
                "rows_per_s_store_disabled": round(wall["disabled"]),
                "rows_per_s_store_enabled": round(wall["enabled"]),
                "ratio": round(wall["enabled"] / wall["disabled"], 3),
                "rows_per_cpu_s_store_disabled": round(cpu["disabled"]),
                "rows_per_cpu_s_store_enabled": round(cpu["enabled"]),
                "cpu_ratio": round(cpu["enabled"] / cpu["disabled"], 3),
                "runs": {k: [round(r[0]) for r in v] for k, v in runs.items()},
                "cpu_runs": {k: [round(r[1]) for r in v] for k, v in runs.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
