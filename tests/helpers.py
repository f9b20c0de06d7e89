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
