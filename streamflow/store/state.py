"""Operator state that outlives a batch: in memory for a plain run, in LMDB for a run directory.

The one primitive is :meth:`OperatorState.claim`: "this key belongs to the first row that
claimed it". It is what exact and near-dedup need, and it is idempotent under replay: a resumed
run that re-reads a row finds the row itself as the owner, so it decides exactly as before.
"""

from __future__ import annotations

import threading
from typing import Protocol

from streamflow.rows import row_ids
from streamflow.store.runstore import RunStore


class OperatorState(Protocol):
    def claim(self, keys: list[bytes]) -> list[str | None]:
        """Claim one key per row of the running hook; None where the row now owns it, else the
        id of the row that owned it first."""
        ...


class MemoryState:
    """State of a run without a run directory: lives as long as the process."""

    def __init__(self) -> None:
        self._owners: dict[bytes, str] = {}
        self._lock = threading.Lock()

    def claim(self, keys: list[bytes]) -> list[str | None]:
        owners = self._owners
        out: list[str | None] = []
        with self._lock:
            for key, row_id in zip(keys, row_ids(), strict=True):
                held = owners.setdefault(key, row_id)
                out.append(None if held == row_id else held)
        return out


class StoreState:
    """State kept in the run store under the step's fingerprint, shared by every later run."""

    def __init__(self, store: RunStore, step: str) -> None:
        self.store = store
        self.step = step

    def claim(self, keys: list[bytes]) -> list[str | None]:
        return self.store.claim(self.step, keys, row_ids())
