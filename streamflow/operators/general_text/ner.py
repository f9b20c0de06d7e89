"""Named entities masked (DataFlow's ``NERRefiner``): spaCy's ``en_core_web_sm`` (packaged, see
``_models``) finds the entities, and each one of the labels below is replaced by ``[LABEL]``:
"Apple hired Tim Cook in 1998" -> "[ORG] hired [PERSON] in [DATE]".

DataFlow replaces every occurrence of each entity's text (``str.replace``), including inside
other words ("Ann" in "Annual"); here each entity is replaced where spaCy found it.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Refiner
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._models import load_spacy
from streamflow.rows import Row

__all__ = ["ENTITY_LABELS", "NERRefiner"]

ENTITY_LABELS = frozenset(
    {
        "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
        "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
        "URL", "EMAIL",
    }
)  # fmt: skip


class NERRefiner(Refiner):
    """Replaces the named entities in ``input_key`` with ``[LABEL]``."""

    def __init__(self) -> None:
        self._nlp: Any = load_spacy("en_core_web_sm")

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        texts = [text_field(self.name, row, input_key) for row in rows]
        for row, text, doc in zip(rows, texts, self._nlp.pipe(texts), strict=True):
            parts, end = [], 0
            for ent in doc.ents:
                if ent.label_ in ENTITY_LABELS:
                    parts += [text[end : ent.start_char], f"[{ent.label_}]"]
                    end = ent.end_char
            row[input_key] = "".join(parts) + text[end:]
        return rows
