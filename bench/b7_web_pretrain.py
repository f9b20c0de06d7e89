"""B7: web_pretrain's steps against datatrove running the same steps on the same WARC files.

    .venv/bin/python bench/b7_web_pretrain.py [--copies 20] [--files 4]
        [--datatrove-python /work/bench-venvs/datatrove/bin/python]

The crawl: the 110 pages of ``../shared/data/web-pages``, each written ``--copies`` times (under
a different URL each time) into ``--files`` gzipped WARC files under ``bench/data/b7`` (request
and response records, as a crawler writes them; ``Content-Type: text/html`` without a charset,
so both sides detect it).

The steps, the same on both sides, in FineWeb's order: read the WARC, extract the main text with
trafilatura (``favor_precision``, trafilatura's own deduplication off), Gopher repetition,
Gopher quality, C4 (the paper's 5 words a line and 3 sentences; datatrove's filter rewrites the
text, streamflow's C4LineRefiner does), FineWeb quality, PII masking, JSONL out. Language ID is
left out: datatrove's needs fastText's model from the network. Each side runs in a child
process, timed from launch to exit: streamflow as one Pipeline (extraction in a process pool of
one worker per core), datatrove as a LocalPipelineExecutor with one task per file and one
worker per core. The full ``web_pretrain`` (with language ID and MinHash dedup) is timed too.

Printed: documents/s of each, their ratio, and agreement, the fraction of the crawl's pages on
which both keep or both drop (pages are matched by URL).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGES = REPO.parent / "shared" / "data" / "web-pages"
DATA = HERE / "data" / "b7"


def page_url(copy: int, stem: str) -> str:
    return f"https://copy{copy}.bench.example/{stem}"


def build_crawl(copies: int, files: int) -> tuple[Path, int]:
    """The WARC files (written once per size) and the number of pages in them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = sorted(PAGES.glob("*.html"))
    if not pages:
        sys.exit(f"no pages in {PAGES}: B7 needs ../shared/data/web-pages")
    folder = DATA / f"{len(pages)}x{copies}-{files}"
    total = len(pages) * copies
    if folder.is_dir() and len(list(folder.glob("*.warc.gz"))) == files:
        return folder, total
    folder.mkdir(parents=True, exist_ok=True)
    outs = [(folder / f"crawl-{i:02d}.warc.gz").open("wb") for i in range(files)]
    writers = [WARCWriter(out, gzip=True) for out in outs]
    n = 0
    for copy in range(copies):
        for page in pages:
            writer = writers[n % files]
            n += 1
            uri = page_url(copy, page.stem)
            request = writer.create_warc_record(
                uri,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(
                    f"GET /{page.stem} HTTP/1.1", [], is_http_request=True
                ),
            )
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            response = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(page.read_bytes()),
                http_headers=http,
                warc_headers_dict={"WARC-Identified-Payload-Type": "text/html"},
            )
            writer.write_record(request)
            writer.write_record(response)
    for out in outs:
        out.close()
    return folder, total


STREAMFLOW_SIDE = """
import json, sys
from streamflow import FileStorage, Pipeline
from streamflow.operators.general.fields import FieldRemover
from streamflow.operators.text.html import HtmlTextExtractor
from streamflow.operators.text.pii import PIIRefiner
from streamflow.operators.text.web_quality import (
    C4LineRefiner, C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
    GopherRepetitionFilter,
)
from streamflow.pipelines.web_pretrain import WebPretrainPipeline

class SameSteps(Pipeline):
    def __init__(self):
        self.storage = FileStorage(sys.argv[1], output_file=sys.argv[2])
        self.steps = [
            (HtmlTextExtractor(favor_precision=True), dict(input_key="html", output_key="text")),
            (FieldRemover(), dict(input_keys=["html"])),
            (GopherRepetitionFilter(), dict(input_key="text")),
            (GopherQualityFilter(), dict(input_key="text")),
            (C4QualityFilter(), dict(input_key="text")),
            (C4LineRefiner(), dict(input_key="text")),
            (FineWebQualityFilter(), dict(input_key="text")),
            (PIIRefiner(), dict(input_key="text")),
        ]

    def forward(self):
        for op, keys in self.steps:
            op.run(self.storage.step(), **keys)

pipeline = SameSteps() if sys.argv[3] == "same" else WebPretrainPipeline()
result = pipeline.run(input=sys.argv[1], output=sys.argv[2], batch_size=64)
print(json.dumps({"read": result.stats.source.rows_out, "kept": result.rows_written}))
"""

DATATROVE_SIDE = """
import json, os, sys
from loguru import logger
logger.remove()
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import (
    C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter,
)
from datatrove.pipeline.filters import c4_filters
from datatrove.pipeline.formatters import PIIFormatter
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import JsonlWriter

c4_filters.END_PUNCTUATION = (".", "?", "!", '"')  # c4_utils' terminal marks, as streamflow
folder, out, logs, files = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
LocalPipelineExecutor(
    pipeline=[
        WarcReader(folder, glob_pattern="*.warc.gz"),
        Trafilatura(favour_precision=True, deduplicate=False),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(min_num_sentences=3, min_words_per_line=5),
        FineWebQualityFilter(),
        PIIFormatter(),
        JsonlWriter(out, compression=None),
    ],
    tasks=files,
    workers=os.cpu_count(),
    logging_dir=logs,
).run()
"""


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{command[:3]} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def kept_urls(paths: list[Path], url: str) -> set[str]:
    found: set[str] = set()
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                found.add(row["url"] if url == "url" else row["metadata"]["url"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datatrove-python", default="/work/bench-venvs/datatrove/bin/python")
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()
    folder, pages = build_crawl(args.copies, args.files)
    glob = str(folder / "*.warc.gz")
    print(f"crawl: {pages} pages in {args.files} files ({folder}); {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ours_out = tmp / "streamflow.jsonl"
        ours_s, ours_json = timed(
            [sys.executable, "-c", STREAMFLOW_SIDE, glob, str(ours_out), "same"]
        )
        ours = json.loads(ours_json.strip().splitlines()[-1])
        full_s, full_json = timed(
            [sys.executable, "-c", STREAMFLOW_SIDE, glob, str(tmp / "full.jsonl"), "full"]
        )
        full = json.loads(full_json.strip().splitlines()[-1])
        theirs_s, _ = timed(
            [
                args.datatrove_python,
                "-c",
                DATATROVE_SIDE,
                str(folder),
                str(tmp / "datatrove"),
                str(tmp / "logs"),
                str(args.files),
            ]
        )
        ours_kept = kept_urls([ours_out], "url")
        theirs_kept = kept_urls(sorted((tmp / "datatrove").glob("*.jsonl")), "metadata")

    urls = {
        f"https://copy{c}.bench.example/{p.stem}"
        for c in range(args.copies)
        for p in PAGES.glob("*.html")
    }
    agree = sum((u in ours_kept) == (u in theirs_kept) for u in urls) / len(urls)
    rows = {
        "pages": pages,
        "streamflow_read": ours["read"],
        "streamflow_kept": len(ours_kept),
        "datatrove_kept": len(theirs_kept),
        "streamflow_s": round(ours_s, 2),
        "datatrove_s": round(theirs_s, 2),
        "streamflow_docs_per_s": round(pages / ours_s, 1),
        "datatrove_docs_per_s": round(pages / theirs_s, 1),
        "ratio": round(theirs_s / ours_s, 2),
        "agreement": round(agree, 4),
        "web_pretrain_s": round(full_s, 2),
        "web_pretrain_docs_per_s": round(pages / full_s, 1),
        "web_pretrain_kept": full["kept"],
    }
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
