"""Fixtures of the sandbox tests: a sandbox with small limits, and the checks that a run left
nothing behind (no process of its uid or carrying its marker, no work directory)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import psutil
import pytest

from streamflow.sandbox import Limits, Sandbox, SandboxResult, SandboxUnavailable


def _bwrap_refusal() -> str | None:
    """Why bubblewrap cannot run here (not installed, or the kernel refuses its namespaces), or
    None when it can: the sandbox's own probe, run once."""
    if shutil.which("bwrap") is None or shutil.which("tini") is None:
        return "bubblewrap (bwrap) or tini is not installed: run bin/system-deps as root"
    try:
        anyio.run(Sandbox().check)
    except SandboxUnavailable as exc:
        return f"this machine refuses the sandbox's namespaces: {exc}"
    return None


BWRAP_REFUSAL = _bwrap_refusal()
BWRAP_MISSING = BWRAP_REFUSAL is not None
needs_bwrap = pytest.mark.skipif(BWRAP_MISSING, reason=BWRAP_REFUSAL or "")

SMALL = Limits(
    wall_seconds=20,
    cpu_seconds=10,
    memory_bytes=512 << 20,
    processes=32,
    file_bytes=16 << 20,
    open_files=128,
    output_bytes=64 << 10,
    tmpfs_bytes=32 << 20,
)


def processes_left(marker: str, uid: int | None = None) -> list[psutil.Process]:
    """Live processes whose command line carries ``marker``, or that run as ``uid`` (when it is
    not ours: our own uid runs this test too). A zombie is dead: killed, waiting for whoever
    adopted it (the machine's init) to collect its status."""
    left = []
    for proc in psutil.process_iter(["cmdline", "uids", "pid", "status"]):
        if proc.info["pid"] == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = " ".join(proc.info["cmdline"] or ())
        uids = proc.info["uids"]
        if marker in cmdline or (uid not in (None, os.getuid()) and uids and uids.real == uid):
            left.append(proc)
    return left


@pytest.fixture
def marker() -> str:
    """A word put on a sandboxed program's command line, to find its processes afterwards."""
    return f"sf-sandbox-test-{uuid.uuid4().hex}"


@pytest.fixture
def workdirs(tmp_path: Path) -> Iterator[Path]:
    """Where the sandbox creates work directories; checked empty after the test."""
    root = tmp_path / "workdirs"
    root.mkdir()
    yield root
    assert list(root.iterdir()) == [], "a work directory was left behind"


@pytest.fixture
def sandbox(workdirs: Path) -> Sandbox:
    if BWRAP_MISSING:
        pytest.skip("bubblewrap (bwrap) or tini is not installed: run bin/system-deps as root")
    return Sandbox(SMALL, workdir_root=str(workdirs))


@pytest.fixture
def assert_clean(marker: str) -> Callable[[SandboxResult], None]:
    def check(result: SandboxResult) -> None:
        left = processes_left(marker, result.uid)
        assert left == [], f"processes survived the run: {left}"

    return check
