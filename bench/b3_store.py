"""B3: the B1 refiner chain with the run store enabled (a run directory) vs disabled.

Runs both variants REPEAT times, interleaved, and prints one JSON line with the median rows/s
of each and their ratio (target >= 0.9).

    python bench/b3_store.py IN.jsonl [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from b1_streamflow import Chain


def one(src: str, work: Path, store: bool) -> float:
    out = work / "out.jsonl"
    run_dir = work / "run" if store else None
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)
    started = time.perf_counter()
    result = Chain(src, str(out)).run(run_dir=run_dir, batch_size=1000)
    return result.rows_written / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"disabled": [], "enabled": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            rates["disabled"].append(one(args.src, Path(tmp), store=False))
            rates["enabled"].append(one(args.src, Path(tmp), store=True))
    medians = {k: statistics.median(v) for k, v in rates.items()}
    print(
        json.dumps(
            {
                "bench": "B3",
                "rows_per_s_store_disabled": round(medians["disabled"]),
                "rows_per_s_store_enabled": round(medians["enabled"]),
                "ratio": round(medians["enabled"] / medians["disabled"], 3),
                "runs": {k: [round(x) for x in v] for k, v in rates.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
