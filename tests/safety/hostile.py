"""What the hostile tests of tests/safety share: a small pipeline with an expensive step that
logs its calls, a project folder holding it, and streamflow run as a user runs it (a real
process that imports this checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from helpers import REPO, read_jsonl, write_jsonl

PIPELINE = '''
import os
import anyio
from streamflow import FileStorage, Generator, Pipeline


class Shout(Generator):
    def process(self, rows, input_key, output_key):
        return [{**r, output_key: str(r[input_key]).upper()} for r in rows]


class Costly(Generator):
    """Counts its calls in calls.log; sleeps SLEEP seconds a batch."""

    expensive = True

    async def process(self, rows, input_key):
        await anyio.sleep(float(os.environ.get("SLEEP", "0")))
        with open("calls.log", "a") as log:
            log.writelines(f"{r[input_key]}\\n" for r in rows)
        return rows


class Demo(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.shout = Shout()
        self.costly = Costly()

    def forward(self):
        self.shout.run(self.storage.step(), input_key="text", output_key="loud")
        self.costly.run(self.storage.step(), input_key="text")
'''


def environment(extra: dict | None) -> dict:
    """The test's environment; subprocesses import this checkout's streamflow."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def rows(n: int, start: int = 0) -> list[dict]:
    return [{"text": f"row {i}"} for i in range(start, start + n)]


def project(tmp_path: Path, n: int = 50) -> Path:
    (tmp_path / "demo.py").write_text(PIPELINE)
    write_jsonl(tmp_path / "in.jsonl", rows(n))
    return tmp_path


def streamflow(cwd: Path, *args: str, env: dict | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "streamflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(env),
    )


def start(cwd: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streamflow", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(env),
    )


def wait_for_calls(cwd: Path, at_least: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(calls(cwd)) < at_least:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)


def calls(cwd: Path) -> list[str]:
    log = cwd / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def texts(path: Path) -> list[str]:
    return [r["text"] for r in read_jsonl(path)]
