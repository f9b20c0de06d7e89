"""English stop words removed (DataFlow's ``RemoveStopwordsRefiner``): the text is split on
whitespace and every word whose lower-case form is one of NLTK's 179 English stop words is
dropped; the rest are joined with single spaces. The list ships with streamflow (NLTK's
``stopwords`` corpus, which DataFlow downloads at run time)."""

from __future__ import annotations

from streamflow.actors.base import Refiner
from streamflow.operators.fields import text_field
from streamflow.operators.words import english_stopwords
from streamflow.rows import Row

__all__ = ["RemoveStopwordsRefiner"]


class RemoveStopwordsRefiner(Refiner):
    """Drops NLTK's English stop words from ``input_key`` (whitespace-split words)."""

    def __init__(self) -> None:
        self._stopwords = english_stopwords()

    def refine(self, text: str) -> str:
        stop = self._stopwords
        return " ".join(w for w in text.split() if w.lower() not in stop)

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        for row in rows:
            row[input_key] = self.refine(text_field(self.name, row, input_key))
        return rows
