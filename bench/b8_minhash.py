"""B8: MinHash near-deduplication (MinHashDeduplicateFilter) through a Pipeline, 100k documents.

The input: N deterministic JSONL documents of 2-4 KB of Zipf-distributed pseudo-words (seeded
``random``), of which about 15% are near-duplicates of an earlier document: a copy with words
replaced, inserted or deleted so that the Jaccard similarity of their 5-word shingles is about
0.6-1.0 (uniformly: about half of them at 0.8 or more, which the filter's default threshold
drops). It is written once to ``bench/data/b8_docs_<N>.jsonl``.

The pipeline is one step, ``MinHashDeduplicateFilter(input_key="text")`` with its defaults (5-word
shingles, 112 values in 14 bands of 8, verification at 0.8), run twice, each time in a child
process: with a run directory (the LSH index, the kept rows' signatures and the drop log in the
LMDB run store) and without one (the index in memory). The parent reports each child's
documents/s, its peak RSS (``ru_maxrss`` from ``os.wait4``, which counts the LMDB map's file
pages too) and its peak anonymous RSS (the heap alone, sampled from /proc every 0.1 s), the rows
dropped against the near-duplicates planted, and the run store's size. One JSON line per mode.

    .venv/bin/python bench/b8_minhash.py [--docs 100000] [--data-dir bench/data]
                                         [--modes run-dir memory] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import msgspec

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from b2_memory import tenths, wait_sampling_rss  # noqa: E402

DUPLICATE_SHARE = 0.15
SEED = 8


def generate(n: int, path: Path) -> None:
    """Write ``n`` documents, ~15% of them near-duplicates of an earlier one."""
    rng = random.Random(SEED)
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "sh", "qu"]
    vocab = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(30_000)]
    cum_weights = []
    total = 0.0
    for rank in range(len(vocab)):
        total += 1 / (rank + 1)
        cum_weights.append(total)
    originals: list[list[str]] = []
    encode = msgspec.json.Encoder().encode
    with path.open("wb") as out:
        for i in range(n):
            target = None
            if originals and rng.random() < DUPLICATE_SHARE:
                target = round(rng.uniform(0.6, 1.0), 3)
                words = edited(rng, rng.choice(originals), target, vocab)
            else:
                size = rng.randint(2000, 4000)
                words = rng.choices(vocab, cum_weights=cum_weights, k=size // 7)
                if len(originals) < 20_000:
                    originals.append(words)
                else:  # a sample of every earlier document, so duplicates reach far back
                    originals[rng.randrange(len(originals))] = words
            out.write(
                encode({"id": i, "near_duplicate_of_jaccard": target, "text": " ".join(words)})
            )
            out.write(b"\n")


def edited(rng: random.Random, words: list[str], target: float, vocab: list[str]) -> list[str]:
    """``words`` with so many replaced, inserted or deleted that the Jaccard similarity of their
    5-shingles is about ``target`` (each edit spoils up to five shingles)."""
    shared = 2 * target / (1 + target)
    out = list(words)
    for _ in range(round((1 - shared ** (1 / 5)) * len(words))):
        i = rng.randrange(len(out))
        op = rng.random()
        if op < 0.5:
            out[i] = rng.choice(vocab)
        elif op < 0.75:
            out.insert(i, rng.choice(vocab))
        else:
            del out[i]
    return out


def child(src: str, dst: str, run_dir: str, batch_size: str) -> None:
    """Run the pipeline once (in the child process) and print its figures as JSON."""
    from streamflow import FileStorage, Pipeline
    from streamflow.operators.general.minhash import MinHashDeduplicateFilter

    class NearDedup(Pipeline):
        def __init__(self) -> None:
            super().__init__()
            self.storage = FileStorage(src, output_file=dst, run_dir=run_dir or None)
            self.dedup = MinHashDeduplicateFilter()

        def forward(self) -> None:
            self.dedup.run(self.storage.step(), input_key="text")

    start = time.perf_counter()
    result = NearDedup().run(batch_size=int(batch_size))
    seconds = time.perf_counter() - start
    print(json.dumps({"rows_written": result.rows_written, "seconds": round(seconds, 3)}))


def measure(src: Path, data_dir: Path, mode: str, batch_size: int) -> dict:
    targets = [msgspec.json.decode(line)["near_duplicate_of_jaccard"] for line in src.open("rb")]
    n = len(targets)
    planted = [t for t in targets if t is not None]
    dst = data_dir / f"b8_out_{mode}.jsonl"
    run_dir = data_dir / f"b8_run_{mode}"
    shutil.rmtree(run_dir, ignore_errors=True)
    dst.unlink(missing_ok=True)
    script = str(Path(__file__).resolve())
    run_dir_arg = str(run_dir) if mode == "run-dir" else ""
    cmd = [sys.executable, script, "--child", str(src), str(dst), run_dir_arg, str(batch_size)]
    stats_file = data_dir / f"b8_stats_{mode}.json"
    with stats_file.open("wb") as stats_out:
        proc = subprocess.Popen(cmd, stdout=stats_out)
        status, usage, samples = wait_sampling_rss(proc.pid)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"B8 child ({mode}) failed with exit status {status}")
    stats = json.loads(stats_file.read_text().strip().splitlines()[-1])
    store_mb = (
        sum(f.stat().st_size for f in (run_dir / "store").iterdir()) / 2**20
        if run_dir.is_dir()
        else 0.0
    )
    dst.unlink(missing_ok=True)
    stats_file.unlink(missing_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "bench": "B8",
        "mode": mode,
        "docs": n,
        "input_mb": round(src.stat().st_size / 2**20, 1),
        "batch_size": batch_size,
        **stats,
        "docs_per_s": round(n / stats["seconds"], 1),
        "dropped": n - stats["rows_written"],
        "planted_near_duplicates": len(planted),
        "planted_at_0.8_or_more": sum(t >= 0.8 for t in planted),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "peak_anon_mb": round(max((a for _, a in samples), default=0.0), 1),
        "anon_mb_over_run": tenths([a for _, a in samples]),
        "store_mb": round(store_mb, 1),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--modes", nargs="+", default=["run-dir", "memory"])
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    src = args.data_dir / f"b8_docs_{args.docs}.jsonl"
    if not src.exists():
        start = time.perf_counter()
        generate(args.docs, src)
        print(f"# generated {src} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    for mode in args.modes:
        if mode not in ("run-dir", "memory"):
            raise SystemExit(f"unknown mode {mode!r}: run-dir or memory")
        print(json.dumps(measure(src, args.data_dir, mode, args.batch_size)), flush=True)


if __name__ == "__main__":
    main()
