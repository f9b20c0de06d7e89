"""What ``streamflow status`` and ``streamflow deadletters`` read from a run directory.

Everything comes from the run store, opened read-only, so it works while the run is live in
another process (LMDB readers never block the writer) and after it ended.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from streamflow.errors import StreamflowError
from streamflow.store.deadletters import DeadLetter
from streamflow.store.runstore import RunStore


@dataclass
class RunStatus:
    path: Path
    state: str
    """running, finished, failed, interrupted, or killed (running, but its process is gone)."""
    pid: int | None
    error: str | None
    output: str | None
    checkpoint: dict[str, Any] | None
    progress: dict[str, Any] | None
    dead_letters: int
    dropped: int
    requeued: int = 0
    """Dead letters ``streamflow deadletters --requeue`` queued for the next run to retry."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "state": self.state,
            "pid": self.pid,
            "error": self.error,
            "output": self.output,
            "checkpoint": self.checkpoint,
            "progress": self.progress,
            "dead_letters": self.dead_letters,
            "dropped": self.dropped,
            "requeued": self.requeued,
        }


def read_status(run_dir: Path) -> RunStatus:
    with _open(run_dir) as store:
        status = store.get_meta("status") or {}
        manifest = store.get_meta("manifest") or {}
        checkpoint = store.get_meta("checkpoint")
        if checkpoint is not None:
            checkpoint = {k: v for k, v in checkpoint.items() if k != "states"}
        state = status.get("state", "never started")
        pid = status.get("pid")
        if state == "running" and pid is not None and not _alive(pid):
            state = "killed"
        return RunStatus(
            path=run_dir,
            state=state,
            pid=pid,
            error=status.get("error"),
            output=manifest.get("output"),
            checkpoint=checkpoint,
            progress=store.get_meta("progress"),
            dead_letters=store.count("deadletters"),
            dropped=store.count("dropped"),
            requeued=len(store.get_meta("requeue") or []),
        )


def read_dead_letters(run_dir: Path) -> list[DeadLetter]:
    with _open(run_dir) as store:
        return [msgspec.convert(r, DeadLetter) for r in store.records("deadletters")]


def age(timestamp: float) -> str:
    seconds = time.time() - timestamp
    return f"{seconds:.0f}s ago" if seconds < 120 else f"{seconds / 60:.0f}min ago"


class _open:
    """A read-only view of the run store of ``run_dir``, closed after use."""

    def __init__(self, run_dir: Path) -> None:
        path = run_dir / "store"
        if not (path / "data.mdb").exists():
            raise StreamflowError(f"{run_dir}: no run store here (not a run directory?)")
        self.store = RunStore(path, readonly=True)

    def __enter__(self) -> RunStore:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
