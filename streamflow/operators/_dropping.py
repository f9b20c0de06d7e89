"""A row generator that may also drop a row with a reason (recorded like a filter's drops).

Several DataFlow generators remove rows whose generation came to nothing (no usable QA pair,
a candidate question the model could answer unaided). Here such a row is *dropped with its
reason* -- visible in ``streamflow status`` and the run store -- never silently lost, and never
counted as a failure (it is an outcome, not an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamflow.actors.base import RowGenerator
from streamflow.rows import Batch, DroppedRow, Outcome

__all__ = ["Drop", "DroppingRowGenerator"]


@dataclass(frozen=True, slots=True)
class Drop:
    """Returned by a hook in place of a row's children: the row ends here, for ``reason``."""

    reason: str


class DroppingRowGenerator(RowGenerator):
    """A :class:`RowGenerator` whose hook may return :class:`Drop` for a row."""

    def outcome(self, batch: Batch, results: list[Any]) -> Outcome:
        dropped = [
            DroppedRow(row_id, self.name, res.reason)
            for row_id, res in zip(batch.ids, results, strict=True)
            if isinstance(res, Drop)
        ]
        out = super().outcome(batch, [[] if isinstance(r, Drop) else r for r in results])
        out.dropped.extend(dropped)
        return out
