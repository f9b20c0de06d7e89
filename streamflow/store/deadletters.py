"""Dead letters: rows that failed, kept with the operator, the error and the row itself.

Nothing is lost silently: a row that raises in a hook, a hook's ``Failure``, or a malformed source
record ends here, in memory or in ``deadletters.jsonl`` of the run directory. Dropped rows (a
Filter said no) are logged the same way, with the filter's reason, in ``dropped.jsonl``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec


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


_encoder = msgspec.json.Encoder()
T = TypeVar("T", bound=msgspec.Struct)


class RecordLog(Generic[T]):
    """An append-only log of records: a JSONL file, or memory when no path is given.

    ``keep_in_memory=False`` with no path only counts (dropped rows of a long run would
    otherwise grow without bound).
    """

    def __init__(self, kind: type[T], path: Path | None = None, keep_in_memory: bool = True):
        self.kind = kind
        self.path = path
        self.count = 0
        self._memory: list[T] | None = [] if (path is None and keep_in_memory) else None
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, records: list[T]) -> None:
        """Append records; blocking when backed by a file (call it off the event loop)."""
        if not records:
            return
        with self._lock:
            self.count += len(records)
            if self._memory is not None:
                self._memory.extend(records)
            if self.path is not None:
                data = b"".join(_encoder.encode(r) + b"\n" for r in records)
                with self.path.open("ab") as f:
                    f.write(data)

    def records(self) -> list[T]:
        """Every record kept (read back from the file when file-backed)."""
        if self._memory is not None:
            return list(self._memory)
        if self.path is None or not self.path.exists():
            return []
        decoder = msgspec.json.Decoder(self.kind)
        with self.path.open("rb") as f:
            return [decoder.decode(line) for line in f if line.strip()]


DeadLetters = RecordLog[DeadLetter]
DropLog = RecordLog[Dropped]
