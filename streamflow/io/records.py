"""What a reader yields per record: ``(id, row)``, or a :class:`BadRecord` that becomes a dead
letter instead of stopping the run (unless the source is told to raise); and :class:`Source`,
what the executors read a run's input through (files, or generated seed rows)."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Protocol

from streamflow.rows import Batch, Row

__all__ = ["FIELD_SAMPLE", "BadRecord", "FieldSample", "Record", "Source"]

FIELD_SAMPLE = 1000
"""How many rows a source reads to learn its fields (the union of theirs), by default."""


@dataclass(slots=True)
class BadRecord:
    """A record that could not be read, kept for dead letters instead of stopping the run."""

    id: str
    path: str
    where: str
    reason: str
    raw: str


Record = tuple[str, Row] | BadRecord


@dataclass(frozen=True, slots=True)
class FieldSample:
    """The fields found in a sample of a source's rows (their union), and which rows they were:
    what ``compile()`` checks input keys against, and what its error names."""

    names: tuple[str, ...]
    rows: int
    where: str
    """Which rows were read, for messages: ``"the first 1000 rows of /data/in.jsonl"``."""


class Source(Protocol):
    """A run's input, read in batches from a worker thread (blocking I/O is fine)."""

    def iter_batches(
        self, batch_size: int, after: Mapping[str, int] | None = None
    ) -> Generator[tuple[Batch, list[BadRecord]]]:
        """Batches of at most ``batch_size`` rows with the bad records met on the way, going on
        after the positions in ``after`` (a checkpoint's)."""
        ...

    def fields(self) -> list[str] | None:
        """Field names of a sample of rows (their union), or None when there are no rows."""
        ...

    def sample_fields(self) -> FieldSample | None:
        """The same, with which rows were read; None when there are no rows."""
        ...

    def describe(self) -> str:
        """One line for logs and ``streamflow status``."""
        ...
