"""Hostile inputs (issue 9, items 8, 9, 16 and the source-related ones of 17).

Each test runs streamflow as a user does (a real process, real files) and checks what the user
sees: the exit code, the message on stderr, what ends up on disk. Each reproduced a failure
before its fix: a truncated ``.jsonl.zst`` read as 0 rows, a bad CSV byte that lost the whole
file, a half-written last line dead-lettered and skipped forever, fields taken from the first
row only, and misleading messages for a truncated WARC, a lone surrogate and a JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import zstandard
from helpers import REPO, read_jsonl, write_jsonl

PIPELINE = """
from streamflow import FileStorage, Generator, Pipeline


class Shout(Generator):
    def process(self, rows, input_key, output_key):
        return [{**r, output_key: str(r[input_key]).upper()} for r in rows]


class Demo(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.shout = Shout()

    def forward(self):
        self.shout.run(self.storage.step(), input_key="text", output_key="loud")
"""


def rows(n: int, start: int = 0) -> list[dict]:
    return [{"text": f"row {i}"} for i in range(start, start + n)]


def project(tmp_path: Path, n: int = 50) -> Path:
    (tmp_path / "demo.py").write_text(PIPELINE)
    write_jsonl(tmp_path / "in.jsonl", rows(n))
    return tmp_path


def streamflow(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI of this checkout (not whatever ``streamflow`` the environment installed)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "streamflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path},
    )


def said(stderr: str) -> str:
    """The message with the console's line wrapping undone."""
    return " ".join(stderr.split())


def texts(path: Path) -> list[str]:
    return [r["text"] for r in read_jsonl(path)]


# -- 8: compressed and CSV inputs ------------------------------------------------------------------


def test_a_truncated_zst_input_is_named_as_truncated(tmp_path):
    cwd = project(tmp_path)
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows(5000))
    packed = zstandard.ZstdCompressor().compress(data)
    (cwd / "in.jsonl.zst").write_bytes(packed[: len(packed) // 2])
    done = streamflow(cwd, "run", "demo.py", "-i", "in.jsonl.zst", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "in.jsonl.zst" in done.stderr and "truncated" in done.stderr
    assert "invalid JSON" not in done.stderr


def test_a_small_truncated_zst_input_is_not_read_as_empty(tmp_path):
    cwd = project(tmp_path)
    packed = zstandard.ZstdCompressor().compress(b'{"text": "a"}\n{"text": "b"}\n')
    (cwd / "in.jsonl.zst").write_bytes(packed[:-4])
    done = streamflow(cwd, "run", "demo.py", "-i", "in.jsonl.zst", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "in.jsonl.zst" in done.stderr and "truncated" in done.stderr


def csv_project(tmp_path: Path, body: bytes) -> Path:
    cwd = project(tmp_path)
    (cwd / "in.csv").write_bytes(body)
    return cwd


def test_an_invalid_byte_in_a_csv_loses_only_its_record_and_names_its_line(tmp_path):
    lines = [b"text"] + [f"row {i}".encode() for i in range(20)]
    lines[12] = b"row \xff broken"  # the 13th line of the file
    cwd = csv_project(tmp_path, b"\n".join(lines) + b"\n")
    done = streamflow(cwd, "run", "demo.py", "-i", "in.csv", "--no-progress")
    assert done.returncode == 1 and "line 13" in done.stderr, done.stderr
    (cwd / "skip.py").write_text(
        PIPELINE.replace('FileStorage("in.jsonl"', 'FileStorage("in.csv", on_bad_record="skip"')
    )
    done = streamflow(cwd, "run", "skip.py", "--run-dir", "rd", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert texts(cwd / "out.jsonl") == [f"row {i}" for i in range(20) if i != 11]
    letters = streamflow(cwd, "deadletters", "rd", "--export", "dead.jsonl")
    assert letters.returncode == 0, letters.stderr
    [letter] = read_jsonl(cwd / "dead.jsonl")
    assert "line 13" in letter["error"] and "UTF-8" in letter["error"]


def test_duplicate_csv_header_names_are_an_error_naming_the_line(tmp_path):
    cwd = csv_project(tmp_path, b"text,text,n\na,b,1\n")
    done = streamflow(cwd, "run", "demo.py", "-i", "in.csv", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "line 1" in done.stderr and "duplicate" in done.stderr and "'text'" in done.stderr


def test_an_unterminated_csv_quote_is_an_error_naming_its_line(tmp_path):
    cwd = csv_project(tmp_path, b'text\n"a"\n"b\nc\nd\ne\n')
    done = streamflow(cwd, "run", "demo.py", "-i", "in.csv", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "line 3" in done.stderr and "quote" in done.stderr


# -- 9: a JSONL file still being written -----------------------------------------------------------


def test_an_unterminated_last_line_of_a_growing_jsonl_is_left_for_the_next_run(tmp_path):
    cwd = project(tmp_path, n=10)
    with (cwd / "in.jsonl").open("ab") as f:
        f.write(b'{"text": "row 1')  # a writer is in the middle of this line
    first = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress")
    assert first.returncode == 0, first.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(10)]
    assert "in.jsonl: line 11, the last line, has no newline" in " ".join(first.stderr.split())
    assert json.loads(streamflow(cwd, "status", "rd", "--json").stdout)["dead_letters"] == 0
    with (cwd / "in.jsonl").open("ab") as f:
        f.write(b'0"}\n{"text": "row 11"}\n')
    second = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress")
    assert second.returncode == 0, second.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(12)]
    status = json.loads(streamflow(cwd, "status", "rd", "--json").stdout)
    assert status["dead_letters"] == 0


def test_a_complete_last_line_without_newline_is_read(tmp_path):
    cwd = project(tmp_path, n=3)
    (cwd / "in.jsonl").write_bytes((cwd / "in.jsonl").read_bytes().rstrip(b"\n"))
    done = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(3)]


# -- 16: the source's fields come from a sample, not the first record ----------------------------


def test_a_field_missing_from_the_first_row_still_compiles(tmp_path):
    cwd = project(tmp_path)
    write_jsonl(cwd / "in.jsonl", [{"n": 0}] + [{"n": i, "text": f"row {i}"} for i in range(1, 9)])
    done = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress")
    assert "is not produced by the source" not in done.stderr, done.stderr


def test_a_field_in_no_sampled_row_names_the_sample(tmp_path):
    cwd = project(tmp_path)
    write_jsonl(cwd / "in.jsonl", [{"n": i} for i in range(5)])
    done = streamflow(cwd, "run", "demo.py", "--no-progress")
    assert done.returncode == 2
    assert "'text'" in done.stderr and "5 rows" in done.stderr, done.stderr


# -- 17: small ones --------------------------------------------------------------------------------


def test_a_plain_warc_truncated_in_its_headers(tmp_path):
    cwd = project(tmp_path)
    (cwd / "crawl.warc").write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Le")
    done = streamflow(cwd, "run", "demo.py", "-i", "crawl.warc", "--no-progress")
    assert "gzip" not in done.stderr, done.stderr
    assert "crawl.warc" in done.stderr and "truncated" in done.stderr


def test_a_lone_surrogate_is_reported_as_such(tmp_path):
    cwd = project(tmp_path)
    (cwd / "in.jsonl").write_text('{"text": "ok"}\n{"text": "\\ud800"}\n')
    done = streamflow(cwd, "run", "demo.py", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "truncated" not in done.stderr, done.stderr
    assert "in.jsonl: line 2: invalid JSON: \\ud800 is a lone surrogate" in said(done.stderr)


def test_a_pretty_printed_json_object_is_not_a_json_array(tmp_path):
    cwd = project(tmp_path)
    (cwd / "in.json").write_text(json.dumps({"text": "a", "more": {"x": [1, 2]}}, indent=2))
    done = streamflow(cwd, "run", "demo.py", "-i", "in.json", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "in.json: file: not a JSON array" in said(done.stderr)
