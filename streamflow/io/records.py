"""What a reader yields per record: ``(id, row)``, or a :class:`BadRecord` that becomes a dead
letter instead of stopping the run (unless the source is told to raise); and :class:`Source`,
what the executors read a run's input through (files, or generated seed rows)."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Protocol

from streamflow.rows import Batch, Row


@dataclass(slots=True)
class BadRecord:
    """A record that could not be read, kept for dead letters instead of stopping the run."""

    id: str
    path: str
    where: str
    reason: str
    raw: str


Record = tuple[str, Row] | BadRecord


class Source(Protocol):
    """A run's input, read in batches from a worker thread (blocking I/O is fine)."""

    def iter_batches(
        self, batch_size: int, after: Mapping[str, int] | None = None
    ) -> Generator[tuple[Batch, list[BadRecord]]]:
        """Batches of at most ``batch_size`` rows with the bad records met on the way, going on
        after the positions in ``after`` (a checkpoint's)."""
        ...

    def fields(self) -> list[str] | None:
        """Field names of the first row, or None when there are no rows."""
        ...

    def describe(self) -> str:
        """One line for logs and ``streamflow status``."""
        ...
