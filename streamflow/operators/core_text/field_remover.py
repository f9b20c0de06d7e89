"""Field housekeeping: drop fields a later step or the output does not need."""

from __future__ import annotations

from typing import ClassVar

from streamflow.actors.base import Refiner
from streamflow.rows import Row

__all__ = ["FieldRemover"]


class FieldRemover(Refiner):
    """Removes fields from every row (e.g. the raw HTML once the text is extracted).

    Keeps output files small and stops large intermediate fields from travelling through
    every later channel. Removing a field a row lacks is not an error.
    """

    removes_fields: ClassVar[bool] = True

    def process(self, rows: list[Row], input_keys: list[str]) -> list[Row]:
        drop = set(input_keys)
        return [{k: v for k, v in row.items() if k not in drop} for row in rows]
