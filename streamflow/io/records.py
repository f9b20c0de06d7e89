"""What a reader yields per record: ``(id, row)``, or a :class:`BadRecord` that becomes a dead
letter instead of stopping the run (unless the source is told to raise)."""

from __future__ import annotations

from dataclasses import dataclass

from streamflow.rows import Row


@dataclass(slots=True)
class BadRecord:
    """A record that could not be read, kept for dead letters instead of stopping the run."""

    id: str
    path: str
    where: str
    reason: str
    raw: str


Record = tuple[str, Row] | BadRecord
