"""B16: n-gram-hash, SimHash and semantic dedup (general_text) through a Pipeline, with the run
store holding each index, on B8's documents.

The input is B8's (``bench/b8_minhash.py``): N deterministic JSONL documents of 2-4 KB of
Zipf-distributed pseudo-words, about 15% of them edited copies of an earlier one (word
Jaccard 0.6-1.0). One child process per filter runs a one-step pipeline with a run directory
(the index in the LMDB run store): ``NgramHashDeduplicateFilter()`` (3 segments, md5, any equal
segment drops), ``SimHashDeduplicateFilter()`` (64 bits, within 6 bits drops) or
``SemDeduplicateFilter(device=...)`` (the packaged all-MiniLM-L6-v2 on the CPU or a GPU, eps
0.05; slower, so it reads the first ``--semantic-docs`` documents). The parent reports each
child's documents/s, its peak RSS, its anonymous RSS (the heap) sampled every 0.1 s and given at
each tenth of the run (flat = the index is not in memory), the rows dropped and the store's size.
One JSON line per filter.

    .venv/bin/python bench/b16_text_dedup.py [--docs 100000] [--filters ngram-hash simhash
        semantic] [--semantic-docs 5000] [--device cpu] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))  # the streamflow of this checkout
from b2_memory import tenths, wait_sampling_rss  # noqa: E402
from b8_minhash import generate  # noqa: E402

FILTERS = ("ngram-hash", "simhash", "semantic")


def child(name: str, src: str, dst: str, run_dir: str, batch_size: str, device: str) -> None:
    """Run the one-step pipeline (in the child process) and print its figures as JSON."""
    from streamflow import FileStorage, Pipeline

    def make() -> object:
        if name == "ngram-hash":
            from streamflow.operators.general_text.ngram_hash_dedup import (
                NgramHashDeduplicateFilter,
            )

            return NgramHashDeduplicateFilter()
        if name == "simhash":
            from streamflow.operators.general_text.simhash_dedup import SimHashDeduplicateFilter

            return SimHashDeduplicateFilter()
        from streamflow.operators.general_text.sem_dedup import SemDeduplicateFilter

        return SemDeduplicateFilter(device=device)

    class Dedup(Pipeline):
        def __init__(self) -> None:
            super().__init__()
            self.storage = FileStorage(src, output_file=dst, run_dir=run_dir)
            self.dedup = make()

        def forward(self) -> None:
            self.dedup.run(self.storage.step(), input_key="text")  # type: ignore[attr-defined]

    pipeline = Dedup()  # loads the model, if any, before the clock starts
    start = time.perf_counter()
    result = pipeline.run(batch_size=int(batch_size))
    seconds = time.perf_counter() - start
    print(json.dumps({"rows_written": result.rows_written, "seconds": round(seconds, 3)}))


def measure(name: str, src: Path, data_dir: Path, batch_size: int, device: str) -> dict:
    n = sum(1 for _ in src.open("rb"))
    dst = data_dir / f"b16_out_{name}.jsonl"
    run_dir = data_dir / f"b16_run_{name}"
    shutil.rmtree(run_dir, ignore_errors=True)
    dst.unlink(missing_ok=True)
    script = str(Path(__file__).resolve())
    cmd = [sys.executable, script, "--child", name, str(src), str(dst), str(run_dir)]
    cmd += [str(batch_size), device]
    stats_file = data_dir / f"b16_stats_{name}.json"
    with stats_file.open("wb") as stats_out:
        proc = subprocess.Popen(cmd, stdout=stats_out)
        status, usage, samples = wait_sampling_rss(proc.pid)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"B16 child ({name}) failed with exit status {status}")
    stats = json.loads(stats_file.read_text().strip().splitlines()[-1])
    store_mb = sum(f.stat().st_size for f in (run_dir / "store").iterdir()) / 2**20
    dst.unlink(missing_ok=True)
    stats_file.unlink(missing_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "bench": "B16",
        "filter": name,
        "docs": n,
        "batch_size": batch_size,
        **({"device": device} if name == "semantic" else {}),
        **stats,
        "docs_per_s": round(n / stats["seconds"], 1),
        "dropped": n - stats["rows_written"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_anon_mb": round(max((a for _, a in samples), default=0.0), 1),
        "anon_mb_over_run": tenths([a for _, a in samples]),
        "store_mb": round(store_mb, 1),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    if len(sys.argv) == 8 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--semantic-docs", type=int, default=5_000)
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--filters", nargs="+", default=list(FILTERS), choices=FILTERS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    src = args.data_dir / f"b8_docs_{args.docs}.jsonl"
    if not src.exists():
        start = time.perf_counter()
        generate(args.docs, src)
        print(f"# generated {src} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    for name in args.filters:
        source = src
        if name == "semantic" and args.semantic_docs < args.docs:
            source = args.data_dir / f"b16_docs_{args.semantic_docs}.jsonl"
            with src.open("rb") as full, source.open("wb") as head:
                head.writelines(itertools.islice(full, args.semantic_docs))
        print(json.dumps(measure(name, source, args.data_dir, args.batch_size, args.device)))


if __name__ == "__main__":
    main()
