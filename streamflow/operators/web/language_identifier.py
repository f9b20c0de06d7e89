"""Language annotation: the language of each row's text, without dropping any row."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.fields import text_field
from streamflow.operators.language_id import DEFAULT_MAX_CHARS, identify
from streamflow.rows import Row

__all__ = ["LanguageIdentifier"]


class LanguageIdentifier(Generator):
    """Writes the language of the text (``""`` when it has no letters) and its confidence.

    For annotating without dropping; ``general_text.LanguageFilter`` identifies and filters in
    one step.
    """

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.max_chars = max_chars

    def process(
        self,
        rows: list[Row],
        input_key: str = "text",
        output_key: str = "language",
        output_score_key: str = "language_score",
    ) -> list[Row]:
        for row in rows:
            language, score = identify(text_field(self.name, row, input_key), self.max_chars)
            row[output_key] = language
            row[output_score_key] = score
        return rows
