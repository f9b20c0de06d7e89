"""Shared fixtures: a generic chain pipeline, JSONL helpers, and the ../shared data folder
(the helpers themselves live in ``helpers.py``, which tests import by name)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import SHARED, Chain, read_jsonl, write_jsonl

pytest_plugins = [
    "engine_fixtures",  # the real LLM engines, one per test session
    "model_fixtures",  # tiny transformers models with real architectures
]


@pytest.fixture
def chain() -> type[Chain]:
    return Chain


@pytest.fixture
def jsonl() -> tuple[Callable[..., Path], Callable[[Path], list[dict[str, Any]]]]:
    return write_jsonl, read_jsonl


@pytest.fixture
def shared_data() -> Path:
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent (a fresh clone has no ../shared)")
    return data
