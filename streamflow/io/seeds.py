"""Seed rows: the input of a pipeline that makes its data from nothing.

DataFlow's synthesis pipelines (``CondorGenerator``, ``ConsistentChatGenerator``) read an empty
file and create their rows in the first step. Here that first step is an ordinary operator
working on ``count`` seed rows ``{"seed": i}`` whose ids are ``gen:0`` .. ``gen:{count-1}``.
They stream in batches like a file's records, so generation is spread over the run instead of
happening before it; a checkpoint's position (``{"gen": i}``) tells a resumed run where to go on;
and every id downstream derives from a seed's id, so every run makes the same ids. Giving a
finished run's directory a larger ``count`` generates only the new seeds (an incremental run).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from streamflow.errors import SourceError
from streamflow.io.records import BadRecord, FieldSample
from streamflow.rows import Batch, Row

__all__ = ["SEED_FIELD", "SEED_ID_PREFIX", "SeedSource"]

SEED_FIELD = "seed"
SEED_ID_PREFIX = "gen"
"""Seed ``i`` has the id ``gen:i``; ``gen`` is its position key in checkpoints."""


class SeedSource:
    """``count`` rows ``{"seed": i}`` with ids ``gen:i``, read like a file source."""

    def __init__(self, count: int) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise SourceError(f"seed_rows must be a whole number >= 0, got {count!r}")
        self.count = count

    def fields(self) -> list[str] | None:
        return [SEED_FIELD] if self.count else None

    def sample_fields(self) -> FieldSample | None:
        """Every seed row has the one field ``seed``."""
        if not self.count:
            return None
        return FieldSample((SEED_FIELD,), self.count, f"the {self.count} seed rows")

    def iter_batches(
        self, batch_size: int, after: Mapping[str, int] | None = None
    ) -> Generator[tuple[Batch, list[BadRecord]]]:
        """Batches of seeds, starting after the seed a checkpoint's ``after`` names."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        start = (after or {}).get(SEED_ID_PREFIX, -1) + 1
        for first in range(start, self.count, batch_size):
            seeds = range(first, min(first + batch_size, self.count))
            rows: list[Row] = [{SEED_FIELD: i} for i in seeds]
            yield Batch([f"{SEED_ID_PREFIX}:{i}" for i in seeds], rows), []

    def describe(self) -> str:
        if not self.count:
            return "no seed rows"
        return f"{self.count} seed rows ({SEED_ID_PREFIX}:0..{SEED_ID_PREFIX}:{self.count - 1})"
