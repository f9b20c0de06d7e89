"""Dead letters and dropped rows: what left the stream, and why.

Nothing is lost silently: a row that raises in a hook, a hook's ``Failure``, or a malformed source
record becomes a dead letter with the step, the error and the row itself. Rows a Filter drops
are logged with the filter's reason. In a run directory both live in the run store, keyed by
step and row id, so a row replayed after a crash is recorded once; without one they are kept in
memory (dropped rows are only counted there: a long run would otherwise grow without bound).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Generic, TypeVar

import msgspec

from streamflow.store.runstore import RunStore


class DeadLetter(msgspec.Struct, frozen=True):
    operator: str
    id: str
    error: str
    row: dict[str, Any] | None
    at: float = msgspec.field(default_factory=time.time)


class Dropped(msgspec.Struct, frozen=True):
    operator: str
    id: str
    reason: str


T = TypeVar("T", DeadLetter, Dropped)


class RecordLog(Generic[T]):
    """Dead letters or dropped rows of one run, in the run store or in memory."""

    def __init__(
        self,
        kind: type[T],
        store: RunStore | None = None,
        keep_in_memory: bool = True,
    ) -> None:
        self.kind: type[T] = kind
        self.store = store
        self.table = "deadletters" if kind is DeadLetter else "dropped"
        self._memory: list[T] | None = [] if (store is None and keep_in_memory) else None
        self._added = 0
        self._lock = threading.Lock()

    @property
    def path(self) -> str | None:
        """Where the records are kept, for messages (None: in memory)."""
        return None if self.store is None else f"{self.store.path} ({self.table})"

    def add(self, records: list[T]) -> None:
        """Append records; blocking when store-backed (call it off the event loop)."""
        if not records:
            return
        with self._lock:
            self._added += len(records)
            if self._memory is not None:
                self._memory.extend(records)
        if self.store is not None:
            self.store.add_records(
                self.table, [(r.operator, r.id, msgspec.to_builtins(r)) for r in records]
            )

    @property
    def count(self) -> int:
        """Distinct records (a replayed row counts once)."""
        if self.store is None:
            return self._added
        with self.store.reading() as store:
            return store.count(self.table)

    def records(self) -> list[T]:
        if self.store is None:
            return list(self._memory or [])
        with self.store.reading() as store:
            return [msgspec.convert(r, self.kind) for r in store.records(self.table)]


def common_reasons(letters: list[DeadLetter], top: int = 5) -> list[tuple[int, str]]:
    """The ``top`` commonest errors among ``letters``, with their counts, commonest first."""
    counts = Counter(d.error for d in letters)
    return [(n, error) for error, n in counts.most_common(top)]


DeadLetters = RecordLog[DeadLetter]
DropLog = RecordLog[Dropped]
