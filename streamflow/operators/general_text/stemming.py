"""Stemming or lemmatisation (DataFlow's ``StemmingLemmatizationRefiner``).

``method="stemming"``: each whitespace-separated word through NLTK's Porter stemmer (no data
files needed), joined with single spaces, as DataFlow does. ``method="lemmatization"``: DataFlow
uses NLTK's WordNet lemmatizer, whose WordNet data it downloads at run time and which treats
every word as a noun; no package ships that data, so here spaCy's packaged ``en_core_web_sm``
lemmatises in context (tagger + rule lemmatizer): "The mice were running" -> "the mouse be run",
where WordNet's noun-only look-up gives "The mouse were running". Tokens are spaCy's
(punctuation split off) and keep their original spacing.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Refiner
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._models import load_spacy
from streamflow.rows import Row

__all__ = ["StemmingLemmatizationRefiner"]


class StemmingLemmatizationRefiner(Refiner):
    """Stems (Porter) or lemmatises (spaCy) the words of ``input_key``."""

    def __init__(self, method: str = "stemming") -> None:
        self.method = method.lower()
        if self.method not in ("stemming", "lemmatization"):
            raise ValueError(
                f"{self.name}: method must be 'stemming' or 'lemmatization', got {method!r}"
            )
        self._stemmer: Any = None
        self._nlp: Any = None
        if self.method == "stemming":
            self._stemmer = require("nltk.stem", "nlp").PorterStemmer()
        else:
            self._nlp = load_spacy("en_core_web_sm")

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        texts = [text_field(self.name, row, input_key) for row in rows]
        if self._stemmer is not None:
            stem = self._stemmer.stem
            refined = [" ".join(stem(w) for w in text.split()) for text in texts]
        else:
            docs = self._nlp.pipe(texts, disable=["parser", "ner"])
            refined = ["".join(t.lemma_ + t.whitespace_ for t in doc) for doc in docs]
        for row, text in zip(rows, refined, strict=True):
            row[input_key] = text
        return rows
