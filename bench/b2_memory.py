"""B2: peak memory of a 3-operator streamflow pipeline at 0.5M, 1M and 2M rows.

The pipeline: HtmlEntityRefiner -> RemoveExtraSpacesRefiner -> WordNumberFilter(min_words=46),
which drops about 30% of the rows, so the drop log is exercised too. By default it has a
run directory, as a long job would (the LMDB run store records each dropped row);
``--no-run-dir`` runs without one. A flat peak across sizes, under 300 MB, is the target.

Each size runs in its own child process. The parent reports the child's peak RSS (``ru_maxrss``
from ``os.wait4``: exact) and samples /proc every 0.1 s for RSS and anonymous RSS (the heap,
without mapped file pages such as the LMDB map), shown at each tenth of the run. Input files
are made with gen_rows.py when missing. Prints one JSON line per size, then a summary line.

    python bench/b2_memory.py [--sizes 500000 1000000 2000000] [--data-dir bench/data]
                              [--no-run-dir]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TARGET_MB = 300.0
SAMPLE_EVERY_S = 0.1


def child(src: str, dst: str, run_dir: str) -> None:
    """Run the pipeline once (in the child process) and print its rows/s as JSON."""
    from streamflow import FileStorage, Pipeline
    from streamflow.operators.text.filters import WordNumberFilter
    from streamflow.operators.text.refiners import HtmlEntityRefiner, RemoveExtraSpacesRefiner

    class ThreeOps(Pipeline):
        def __init__(self) -> None:
            super().__init__()
            self.storage = FileStorage(src, output_file=dst, run_dir=run_dir or None)
            self.entities = HtmlEntityRefiner()
            self.spaces = RemoveExtraSpacesRefiner()
            self.words = WordNumberFilter(min_words=46)

        def forward(self) -> None:
            self.entities.run(self.storage.step(), input_key="text")
            self.spaces.run(self.storage.step(), input_key="text")
            self.words.run(self.storage.step(), input_key="text")

    start = time.perf_counter()
    result = ThreeOps().run()
    seconds = time.perf_counter() - start
    stats = {"rows_written": result.rows_written, "seconds": round(seconds, 3)}
    print(json.dumps(stats), flush=True)


def measure(n: int, data_dir: Path, with_run_dir: bool) -> dict:
    src = data_dir / f"rows_{n}.jsonl"
    if not src.exists():
        generator = str(BENCH_DIR / "gen_rows.py")
        subprocess.run([sys.executable, generator, str(n), str(src)], check=True)
    dst = data_dir / f"b2_out_{n}.jsonl"
    run_dir = data_dir / f"b2_run_{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir_arg = str(run_dir) if with_run_dir else ""
    script = str(Path(__file__).resolve())
    cmd = [sys.executable, script, "--child", str(src), str(dst), run_dir_arg]
    stats_file = data_dir / f"b2_stats_{n}.json"
    with stats_file.open("wb") as stats_out:
        proc = subprocess.Popen(cmd, stdout=stats_out)
        status, usage, samples = wait_sampling_rss(proc.pid)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if proc.returncode != 0:
        raise SystemExit(f"B2 child for {n} rows failed with exit status {proc.returncode}")
    stats = json.loads(stats_file.read_text().strip().splitlines()[-1])
    for path in (dst, stats_file):  # outputs of 2M rows take 0.5 GB
        path.unlink(missing_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "bench": "B2",
        "impl": "streamflow",
        "run_dir": with_run_dir,
        "rows_in": n,
        "input_mb": round(src.stat().st_size / 2**20, 1),
        **stats,
        "rows_per_s": round(n / stats["seconds"], 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "peak_anon_mb": round(max((a for _, a in samples), default=0.0), 1),
        "rss_mb_over_run": tenths([r for r, _ in samples]),
        "anon_mb_over_run": tenths([a for _, a in samples]),
    }


def wait_sampling_rss(pid: int) -> tuple[int, os.struct_rusage, list[tuple[float, float]]]:
    """Wait for ``pid``, sampling (RSS, anonymous RSS) in MB every 0.1 s from /proc (Linux).

    Returns its exit status, its rusage and the samples. RSS counts file pages the process has
    mapped (the run store's LMDB map) as well as its own heap; anonymous RSS is the heap alone.
    """
    samples: list[tuple[float, float]] = []
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, samples
        try:
            fields = dict(
                line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            )
            rss, anon = (int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon"))
            samples.append((rss, anon))
        except (OSError, KeyError, ValueError):
            pass  # exiting, or a zombie
        time.sleep(SAMPLE_EVERY_S)


def tenths(samples: list[float]) -> list[float]:
    """The samples at 10%, 20%, ... 100% of the run: flat means memory does not grow."""
    if not samples:
        return []
    return [round(samples[min(len(samples) - 1, len(samples) * k // 10)], 1) for k in range(1, 11)]


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 1_000_000, 2_000_000])
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument(
        "--no-run-dir",
        action="store_true",
        help="run without a run directory (no LMDB store, no drop log on disk)",
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    peaks, anon_peaks = [], []
    for n in args.sizes:
        result = measure(n, args.data_dir, with_run_dir=not args.no_run_dir)
        peaks.append(result["peak_rss_mb"])
        anon_peaks.append(result["peak_anon_mb"])
        print(json.dumps(result), flush=True)
    summary = {
        "bench": "B2",
        "run_dir": not args.no_run_dir,
        "peak_rss_mb_min": min(peaks),
        "peak_rss_mb_max": max(peaks),
        "growth_mb": round(max(peaks) - min(peaks), 1),
        "peak_anon_mb_min": min(anon_peaks),
        "peak_anon_mb_max": max(anon_peaks),
        "under_target": max(peaks) < TARGET_MB,
        "target_mb": TARGET_MB,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
