"""Shared fixtures: a generic chain pipeline, JSONL helpers, and the ../shared data folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from streamflow import FileStorage, Operator, Pipeline

pytest_plugins = [
    "engine_fixtures",  # the real LLM engines, one per test session
    "model_fixtures",  # tiny transformers models with real architectures
]

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


@pytest.fixture
def chain() -> type[Chain]:
    return Chain


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.fixture
def jsonl() -> tuple[Callable[..., Path], Callable[[Path], list[dict[str, Any]]]]:
    return write_jsonl, read_jsonl


@pytest.fixture
def shared_data() -> Path:
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent (a fresh clone has no ../shared)")
    return data
