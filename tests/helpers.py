"""Helpers tests import by name (``from helpers import read_jsonl``): a conftest module cannot
be imported that way once subfolders have conftests of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from streamflow import FileStorage, Operator, Pipeline

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


class Chain(Pipeline):
    """A pipeline made of (operator, keys) pairs, for tests."""

    def __init__(self, steps: list[tuple[Operator, dict[str, Any]]], **storage: Any) -> None:
        self.storage = FileStorage(**storage)
        self.steps = steps

    def forward(self) -> None:
        for op, keys in self.steps:
            op.run(self.storage.step(), **keys)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


def run_python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """This checkout's streamflow, run as a user would (``python ARGS``) in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


def run_streamflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``streamflow ARGS`` from this checkout, in ``cwd``."""
    return run_python("-m", "streamflow", *args, cwd=cwd)


def wait_for(predicate: Callable[[], Any], timeout: float = 120.0) -> None:
    """Poll ``predicate`` until it holds (a test waiting for a run to get somewhere)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def resumable_command(batch_size: int) -> list[str]:
    """``streamflow run job.py`` with a run directory, checkpoints every 50 ms and no progress
    lines: the command :func:`killed_twice_then_resumed` kills and resumes."""
    return [
        *(sys.executable, "-m", "streamflow", "run", "job.py", "--run-dir", "rd"),
        *("--batch-size", str(batch_size), "--checkpoint-interval", "0.05", "--no-progress"),
    ]


def killed_twice_then_resumed(
    tmp_path: Path,
    job: str,
    n: int,
    command: list[str],
    row: Callable[[int], dict[str, Any]] = lambda i: {"text": f"row {i}"},
) -> tuple[Path, Path]:
    """``job`` (a job.py) over ``n`` rows (``row(i)`` each, in in.jsonl) run whole in one
    folder, and in another killed twice (SIGKILL) and resumed to the end; the two folders.
    ``command`` runs the job with a run directory; a run must take a few seconds."""
    import signal

    for name in ("whole", "killed"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "job.py").write_text(job)
        write_jsonl(tmp_path / name / "in.jsonl", [row(i) for i in range(n)])
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's streamflow
    subprocess.run(command, cwd=whole, env=env, check=True, capture_output=True, timeout=120)
    for after in (1.5, 1.0):  # interpreter start-up is ~0.5 s; a run takes ~3.5 s
        resume = ["--resume"] if after < 1.5 else []
        proc = subprocess.Popen(command + resume, cwd=killed, env=env)
        time.sleep(after)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the run ended before it was killed"
    done = subprocess.run(
        [*command, "--resume"], cwd=killed, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return whole, killed
