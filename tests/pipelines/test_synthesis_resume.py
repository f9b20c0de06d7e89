"""Generation from nothing, killed and resumed: 1,000 seeds of text_sft_synthesis (3,000 rows
generated, refined and judged) on a scripted model give exactly a clean run's output."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import read_jsonl

JOB = """
import json
import zlib
from pathlib import Path

from streamflow.pipelines.text_sft_synthesis import TextSFTSynthesisPipeline
from streamflow.serving.base import Completion, Usage
from streamflow.testing import ScriptedServing


def answer(messages):
    last = str(messages[-1]["content"])
    if last.startswith("We are writing"):
        theme = last.split("\\u201c", 1)[1].split("\\u201d", 1)[0]
        return json.dumps({"easy": f"What is {theme}?", "medium": f"How does {theme} work?",
                           "hard": f"Why does {theme} matter?"})
    if last.startswith("Answer the following"):
        return "An answer to " + last.rsplit("Question: ", 1)[1]
    if last.startswith("Review the answer"):
        return "[Weakness Start]short[Weakness End]"
    if last.startswith("Improve the model"):
        return "[Improved Answer Start]Better: " + last[-60:] + "[Improved Answer End]"
    score = zlib.crc32(str(messages[0]["content"]).encode()) % 6
    return json.dumps({"score": score, "explanation": "scripted"})


class Model(ScriptedServing):
    async def _complete(self, messages, json_schema, params):
        with open("calls.txt", "a") as calls:
            calls.write("call\\n")
        return Completion([answer(messages)], Usage(3, 2))


class Job(TextSFTSynthesisPipeline):
    def __init__(self):
        super().__init__(Model(), num_samples=3000)
        self.storage.output_file = Path("out.jsonl")
"""

BATCH = 25
SEEDS = 1000


def project(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "job.py").write_text(JOB)
    return where


def start(cwd: Path, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamflow", "run", "job.py", "--run-dir", "rd"]
    command += ["--batch-size", str(BATCH), "--checkpoint-interval", "0.05", "--no-progress", *args]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(cwd: Path, *args: str) -> None:
    proc = start(cwd, *args)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr


def calls(cwd: Path) -> int:
    path = cwd / "calls.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[list[dict], int, float]:
    """A clean run's output, its number of LLM calls, and how long it took (start-up included)."""
    cwd = project(tmp_path_factory.mktemp("clean"))
    started = time.monotonic()
    finish(cwd)
    return read_jsonl(cwd / "out.jsonl"), calls(cwd), time.monotonic() - started


def test_a_clean_run_generates_every_seed(reference):
    rows, made, _ = reference
    assert made == SEEDS * 4 + 3 * SEEDS * 3  # questions + answers, critique + rewrite, judge
    assert 0 < len(rows) < 3 * SEEDS  # the judge dropped some
    assert {r["difficulty"] for r in rows} == {"Easy", "Medium", "Hard"}


def test_killed_and_resumed_runs_equal_a_clean_run(tmp_path, reference):
    rows, made, seconds = reference
    rng = random.Random(20261204)
    total_kills = 0
    for trial in range(4):
        cwd = project(tmp_path / f"trial{trial}")
        kills = 0
        for _ in range(rng.randint(1, 3)):
            proc = start(cwd, *(["--resume"] if kills else []))
            time.sleep(rng.uniform(0.3, 0.8) * seconds)  # a kill somewhere in the run
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        total_kills += kills
        finish(cwd, "--resume")
        assert read_jsonl(cwd / "out.jsonl") == rows, f"trial {trial}: differs after {kills} kills"
        # stored results are replayed: only the batches in flight at each kill ran twice
        assert made <= calls(cwd) <= made + kills * 4 * BATCH * 3 * 3, (trial, kills, calls(cwd))
    assert total_kills >= 2  # the runs really were killed mid-way
