"""The Ray cluster the Ray executor's tests share: one per test session (it is slow to start)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def cluster() -> Iterator[str]:
    """A two-CPU Ray cluster on loopback; its workers import this checkout and these tests."""
    ray = pytest.importorskip("ray")
    path = os.pathsep.join([str(REPO), str(REPO / "tests"), str(HERE)])
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = path  # inherited by the raylet, so by every job's workers
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        context = ray.init(
            num_cpus=2,
            _node_ip_address="127.0.0.1",
            include_dashboard=False,
            logging_level="warning",
        )
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    try:
        yield context.address_info["gcs_address"]
    finally:
        ray.shutdown()
