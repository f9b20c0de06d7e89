"""B16 (text_pt part): text_pt_filter's rows/s, and CCNet dedup over 100k documents with its
index in the run store.

``text_pt_filter``: DataFlow's CPU pipeline (3 refiners, MinHash, blocklist, word count and 17
rule filters, ``TextPTFilterPipeline``) over N documents made of real prose: the sentences of
the shared web pages' main text (``../shared/data/web-pages``, extracted with
HtmlTextExtractor), each document 8 to 40 of them drawn at random (seeded), so documents are
distinct but read like web text, and the rule filters keep some and drop others.
``dataflow``: open-dataflow's own ``PTTextFilter_CPUPipeline`` over the same documents, in its
virtual environment (``--dataflow-python``; ``bench/b16_dataflow.py``).
``paragraphs``: ``CCNetParagraphDeduplicateRefiner()`` over N pages of those sentences, one per
line, each page with the same navigation line and a footer that differs only in its year.
``ccnet``: ``CCNetDeduplicateFilter()`` alone over B8's documents (``bench/b8_minhash.py``:
2-4 KB of Zipf pseudo-words, ~15% edited copies; exact repeats are rare, so it measures the
hashing and the store). One child process per measurement; the parent reports rows/s, peak RSS,
anonymous RSS (the heap) at each tenth of the run, and the rows kept. One JSON line each.

    .venv/bin/python bench/b16_text_pt.py [--pipeline-docs 5000] [--ccnet-docs 100000]
        [--paragraph-docs 20000] [--only text_pt_filter dataflow paragraphs ccnet]
        [--dataflow-python /tmp/dfvenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))  # the streamflow of this checkout
from b2_memory import tenths, wait_sampling_rss  # noqa: E402
from b8_minhash import generate  # noqa: E402

PAGES = BENCH_DIR.parent.parent / "shared" / "data" / "web-pages"
SEED = 16


def prose_documents(n: int, path: Path, pages: bool = False) -> None:
    """``n`` documents of 8-40 sentences drawn from the web pages' main text; with ``pages``,
    one sentence per line between a navigation line and a footer."""
    from streamflow.operators.web import HtmlTextExtractor

    html = [
        {"html": p.read_text(encoding="utf-8", errors="replace")}
        for p in sorted(PAGES.glob("*.html"))
    ]
    if not html:
        raise SystemExit(f"no web pages in {PAGES}")
    texts = [r["text"] for r in HtmlTextExtractor().process(html)]
    sentences = [
        s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 4
    ]
    rng = random.Random(SEED)
    with path.open("w") as out:
        for _ in range(n):
            chosen = rng.choices(sentences, k=rng.randint(8, 40))
            if pages:
                footer = f"(c) {rng.randint(1995, 2025)} Example Press. All rights reserved."
                doc = "\n".join(["Home | News | Sport | Contact", *chosen, footer])
            else:
                doc = " ".join(chosen)
            out.write(json.dumps({"raw_content": doc}, ensure_ascii=False) + "\n")


def child(name: str, src: str, dst: str, run_dir: str) -> None:
    from streamflow import FileStorage, Pipeline
    from streamflow.operators.text_pt import (
        CCNetDeduplicateFilter,
        CCNetParagraphDeduplicateRefiner,
    )
    from streamflow.pipelines.text_pt_filter import TextPTFilterPipeline

    class OneStep(Pipeline):
        def __init__(self, op: Any, input_key: str) -> None:
            self.storage = FileStorage(src, output_file=dst, run_dir=run_dir)
            self.op, self.input_key = op, input_key

        def forward(self) -> None:
            self.op.run(self.storage.step(), input_key=self.input_key)

    pipeline: Pipeline
    if name == "text_pt_filter":
        pipeline = TextPTFilterPipeline()
    elif name == "paragraphs":
        pipeline = OneStep(CCNetParagraphDeduplicateRefiner(), "raw_content")
    else:
        pipeline = OneStep(CCNetDeduplicateFilter(), "text")
    start = time.perf_counter()
    result = pipeline.run(input=src, output=dst, run_dir=run_dir, batch_size=256)
    seconds = time.perf_counter() - start
    print(json.dumps({"rows_written": result.rows_written, "seconds": round(seconds, 3)}))


def measure(name: str, src: Path, data_dir: Path) -> dict:
    n = sum(1 for _ in src.open("rb"))
    dst, run_dir = data_dir / f"b16pt_out_{name}.jsonl", data_dir / f"b16pt_run_{name}"
    shutil.rmtree(run_dir, ignore_errors=True)
    dst.unlink(missing_ok=True)
    stats_file = data_dir / f"b16pt_stats_{name}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, str(src), str(dst)]
    with stats_file.open("wb") as stats_out:
        proc = subprocess.Popen([*cmd, str(run_dir)], stdout=stats_out)
        status, usage, samples = wait_sampling_rss(proc.pid)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child ({name}) failed with exit status {status}")
    stats = json.loads(stats_file.read_text().strip().splitlines()[-1])
    for path in (dst, stats_file):
        path.unlink(missing_ok=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "bench": "B16-text_pt",
        "what": name,
        "docs": n,
        **stats,
        "docs_per_s": round(n / stats["seconds"], 1),
        "kept": stats["rows_written"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "anon_mb_over_run": tenths([a for _, a in samples]),
        "cpus": os.cpu_count(),
    }


def measure_dataflow(python: str, src: Path, data_dir: Path) -> dict:
    """open-dataflow's pipeline in its own environment, timed around ``forward()``."""
    n = sum(1 for _ in src.open("rb"))
    cache = data_dir / "b16pt_dataflow_cache"
    shutil.rmtree(cache, ignore_errors=True)
    script = BENCH_DIR / "b16_dataflow.py"
    proc = subprocess.run(
        [python, str(script), str(src), str(cache)], capture_output=True, text=True, check=False
    )
    shutil.rmtree(cache, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{"impl"')]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"b16_dataflow.py failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    stats = json.loads(lines[-1])
    return {
        "bench": "B16-text_pt",
        "what": "open-dataflow text_pt_filter",
        "docs": n,
        **stats,
        "docs_per_s": round(n / stats["seconds"], 1),
    }


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline-docs", type=int, default=5_000)
    parser.add_argument("--ccnet-docs", type=int, default=100_000)
    parser.add_argument("--paragraph-docs", type=int, default=20_000)
    parser.add_argument(
        "--only", nargs="+", default=["text_pt_filter", "dataflow", "paragraphs", "ccnet"]
    )
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--dataflow-python", default="/tmp/dfvenv/bin/python")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    prose = args.data_dir / f"b16pt_prose_{args.pipeline_docs}.jsonl"
    if {"text_pt_filter", "dataflow"} & set(args.only) and not prose.exists():
        prose_documents(args.pipeline_docs, prose)
    if "text_pt_filter" in args.only:
        print(json.dumps(measure("text_pt_filter", prose, args.data_dir)), flush=True)
    if "dataflow" in args.only:
        print(json.dumps(measure_dataflow(args.dataflow_python, prose, args.data_dir)), flush=True)
    if "paragraphs" in args.only:
        src = args.data_dir / f"b16pt_pages_{args.paragraph_docs}.jsonl"
        if not src.exists():
            prose_documents(args.paragraph_docs, src, pages=True)
        print(json.dumps(measure("paragraphs", src, args.data_dir)), flush=True)
    if "ccnet" in args.only:
        src = args.data_dir / f"b8_docs_{args.ccnet_docs}.jsonl"
        if not src.exists():
            generate(args.ccnet_docs, src)
        print(json.dumps(measure("ccnet", src, args.data_dir)), flush=True)


if __name__ == "__main__":
    main()
