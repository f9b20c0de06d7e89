"""Rows, their ids and the batches that travel between actors.

A row is a plain ``dict`` of JSON-like values; its id travels beside it in the batch, so an
operator never copies or sees it. Ids are deterministic (source fingerprint + record offset, or
``parent_id/k`` for generated rows), which is what makes resume and incremental runs exact.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(slots=True)
class Batch:
    """Rows moving together through a channel; ``ids[i]`` is the id of ``rows[i]``."""

    ids: list[str]
    rows: list[Row]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(slots=True)
class Barrier:
    """A checkpoint marker travelling in the stream between batches.

    Channels are FIFO and actors keep order, so when the barrier reaches an operator every
    batch the source read before it has passed that operator: the operator's state then is
    exactly "all rows up to ``position``". Each stateful operator adds its state; the sink
    writes its output up to the barrier and commits everything in one transaction.
    """

    number: int
    position: dict[str, int]
    """Per source file (its fingerprint): the offset of the last record read before it."""
    states: dict[str, Any] = field(default_factory=dict)
    final: bool = False


@dataclass(slots=True, frozen=True)
class Failure:
    """Returned by a hook in place of one row's result: that row goes to dead letters.

    Use it where a row fails for a known reason (an unparsable LLM score, a rejected request)
    without raising, so the other rows of the batch go on. A ``transient`` failure (a request
    that ran out of retries or time) is not stored with an expensive step's results, so a
    resumed run tries that row again; a final one (context too long) is replayed as it is.
    """

    reason: str
    transient: bool = False


@dataclass(slots=True)
class DroppedRow:
    """A row a Filter removed, and why."""

    id: str
    operator: str
    reason: str


@dataclass(slots=True)
class Outcome:
    """What one operator made of one batch."""

    batch: Batch
    dropped: list[DroppedRow] = field(default_factory=list)
    failed: list[tuple[str, Row, str]] = field(default_factory=list)  # (id, input row, reason)


current_row_ids: ContextVar[list[str]] = ContextVar("current_row_ids")
"""The ids of the rows the running hook was given (set by the actor around each call)."""


def row_ids() -> list[str]:
    """Inside a hook: the ids of its ``rows``, in order (for operators keeping state by row)."""
    return current_row_ids.get()


def fingerprint(text: str, length: int = 12) -> str:
    """A short stable hash used in row ids and config fingerprints."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()[:length]


def child_id(parent_id: str, k: int) -> str:
    """The id of the k-th row a RowGenerator made from ``parent_id``."""
    return f"{parent_id}/{k}"
