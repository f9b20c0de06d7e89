"""The web_pretrain pipeline: the shipped two-segment crawl run incrementally, the CLI on a WARC
glob, and a crawl of the 110 real pages with near-duplicate variants."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import sys

from helpers import read_jsonl
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from streamflow.pipelines.web_pretrain import SAMPLE_CRAWL, WebPretrainPipeline

SITE = "https://www.sample-crawl.example/"
SEGMENT_1_KEPT = {
    "recipe-red-lentil-soup",
    "bicycle-brake-pads",
    "news-library-reopens",
    "history-hanseatic-league",
    "science-why-sky-is-blue",
}
SEGMENT_2_KEPT = {"review-gooseneck-kettle", "travel-faroe-ferry"}


def pages(rows):
    return {row["url"].removeprefix(SITE) for row in rows}


def test_incremental_crawl_processes_only_the_new_segment(tmp_path):
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    shutil.copy(SAMPLE_CRAWL / "segment-1.warc.gz", crawl)
    out, run_dir = tmp_path / "pretrain.jsonl", tmp_path / "run"

    first = WebPretrainPipeline().run(input=str(crawl / "*.warc.gz"), output=out, run_dir=run_dir)
    assert first.stats.source.rows_out == 8  # the eight pages; no other record is a row
    assert pages(read_jsonl(out)) == SEGMENT_1_KEPT

    shutil.copy(SAMPLE_CRAWL / "segment-2.warc.gz", crawl)
    second = WebPretrainPipeline().run(input=str(crawl / "*.warc.gz"), output=out, run_dir=run_dir)
    # Only segment 2 is read: its seven pages (the robots.txt, the request records and the 404
    # are not pages); segment 1 is not extracted again.
    assert second.stats.source.rows_out == 7
    assert second.stats.operators[0].rows_in == 7
    rows = read_jsonl(out)
    assert pages(rows) == SEGMENT_1_KEPT | SEGMENT_2_KEPT
    assert all(row["language"] == "en" and "html" not in row for row in rows)

    # Both near-duplicates in segment 2 are of pages kept from segment 1, and say so.
    near = {
        d.reason.split(" (")[0].removeprefix("near-duplicate of ")
        for d in second.dropped.records()
        if d.operator == "MinHashDeduplicateFilter"
    }
    assert near == {SITE + "history-hanseatic-league", SITE + "recipe-red-lentil-soup"}


def test_cli_runs_on_a_warc_glob(tmp_path):
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [
            sys.executable, "-m", "streamflow", "run", "web_pretrain",
            "--input", str(SAMPLE_CRAWL / "*.warc.gz"), "--output", str(out), "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pages(read_jsonl(out)) == SEGMENT_1_KEPT | SEGMENT_2_KEPT
    assert "2 rows written" not in done.stderr and "7 rows written" in done.stderr


def edited(text: str, rng: random.Random, n: int) -> str:
    """``text`` with ``n`` of its words replaced: a near-duplicate."""
    words = text.split(" ")
    for i in rng.sample(range(len(words)), min(n, len(words))):
        words[i] = rng.choice(("alpha", "bravo", "charlie", "delta"))
    return " ".join(words)


def test_real_pages_with_near_duplicate_variants(tmp_path, shared_data):
    """The real pages, plus for each a copy with three words edited under another URL: every
    copy of a kept English page is dropped as its near-duplicate, naming it."""
    rng = random.Random(5)
    originals = sorted((shared_data / "web-pages").glob("*.html"))
    path = tmp_path / "real.warc.gz"
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for copy in ("", "mirror."):
            for page in originals:
                html = page.read_bytes().decode("utf-8", errors="replace")
                if copy:
                    html = edited(html, rng, 3)
                http = StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
                )
                writer.write_record(
                    writer.create_warc_record(
                        f"https://{copy}real.example/{page.stem}",
                        "response",
                        payload=io.BytesIO(html.encode()),
                        http_headers=http,
                    )
                )
    out = tmp_path / "out.jsonl"
    result = WebPretrainPipeline().run(input=str(path), output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    assert result.stats.source.rows_out == 2 * len(originals)
    assert result.dead_letters.count == 0
    kept = {row["url"] for row in rows}
    assert kept and all(url.startswith("https://real.example/") for url in kept)
    names = {
        d.reason.split(" (")[0].removeprefix("near-duplicate of ")
        for d in result.dropped.records()
        if d.operator == "MinHashDeduplicateFilter"
    }
    assert names == kept  # each kept page's mirror copy was dropped, naming it


def test_a_broken_record_is_a_dead_letter_and_the_crawl_goes_on(tmp_path):
    first = (SAMPLE_CRAWL / "segment-1.warc.gz").read_bytes()
    second = (SAMPLE_CRAWL / "segment-2.warc.gz").read_bytes()
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(first + b"\x00not a record\x00" * 10 + second)
    out = tmp_path / "out.jsonl"
    result = WebPretrainPipeline().run(input=str(damaged), output=out, run_dir=tmp_path / "run")
    (letter,) = result.dead_letters.records()
    assert f"byte offset {len(first)}" in letter.error and "reading resumed" in letter.error
    assert pages(read_jsonl(out)) == SEGMENT_1_KEPT | SEGMENT_2_KEPT
