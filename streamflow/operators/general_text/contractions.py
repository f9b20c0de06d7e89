"""English contractions expanded (DataFlow's ``RemoveContractionsRefiner``) by the
``contractions`` package (extra ``nlp``): "you're" -> "you are", "didn't" -> "did not"."""

from __future__ import annotations

from streamflow.actors.base import Refiner
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["RemoveContractionsRefiner"]


class RemoveContractionsRefiner(Refiner):
    """Expands the English contractions in ``input_key`` with ``contractions.fix``."""

    def __init__(self) -> None:
        self._fix = require("contractions", "nlp").fix

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        for row in rows:
            row[input_key] = self._fix(text_field(self.name, row, input_key))
        return rows
