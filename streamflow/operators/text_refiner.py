"""The base of the rule-based text refiners (DataFlow's ``general_text/refine`` and streamflow's
web ones), built for millions of rows.

Each refiner rewrites one string field. Every pattern and deletion table is built once (at
import, or on first use where that takes long enough to slow down listing the operators), so a
chain of ten refiners costs a few microseconds per row. Where DataFlow's rule is so
broad that it destroys ordinary text (a URL regex that eats the next line, emoticons matched
inside words), the rule here keeps DataFlow's intent and is narrowed; each class says how.
"""

from __future__ import annotations

from streamflow.actors.base import Refiner
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["TextRefiner"]


class TextRefiner(Refiner):
    """A refiner that rewrites one string field, row by row, with :meth:`refine`."""

    def refine(self, text: str) -> str:
        raise NotImplementedError(f"{self.name} must implement refine(text)")

    def process(self, rows: list[Row], input_key: str) -> list[Row]:
        refine = self.refine
        return [{**row, input_key: refine(text_field(self.name, row, input_key))} for row in rows]
