"""Lexical diversity (DataFlow's ``LexicalDiversitySampleEvaluator`` and
``LexicalDiversityFilter``): MTLD and HD-D (McCarthy and Jarvis 2007, 2010), computed by the
``lexicalrichness`` package (extra ``text-metrics``).

Tokens as in DataFlow: the text split on whitespace, each token lower-cased with ASCII
punctuation removed (a token of punctuation only stays, as an empty token). MTLD (TTR threshold
0.72, the mean of a forward and a backward pass) is given for texts of more than 50 tokens, HD-D
(42 draws) for 51 to 999 tokens; otherwise the score is None, as in DataFlow. One difference:
a text whose tokens are all distinct has MTLD equal to its length (lexicalrichness; the
measure's limit), where DataFlow returns -1.
"""

from __future__ import annotations

import math
import string
from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = [
    "LexicalDiversityFilter",
    "LexicalDiversitySampleEvaluator",
    "lexical_diversity",
    "tokens",
]

MTLD_KEY = "LexicalDiversityMTLDScore"
HDD_KEY = "LexicalDiversityHD-DScore"
METRIC_KEYS = {"mtld": MTLD_KEY, "hdd": HDD_KEY}
_REMOVE_PUNCTUATION = str.maketrans("", "", string.punctuation)


def tokens(text: str) -> list[str]:
    """DataFlow's tokens: whitespace-split, lower-cased, ASCII punctuation removed."""
    return [t.translate(_REMOVE_PUNCTUATION).lower() for t in text.split()]


def lexical_diversity(text: str, richness: Any = None) -> dict[str, float | None]:
    """``{MTLD_KEY: ..., HDD_KEY: ...}`` for ``text`` (None where it is too short or long)."""
    if richness is None:
        richness = require("lexicalrichness", "text-metrics").LexicalRichness
    words = tokens(text)
    scores: dict[str, float | None] = {MTLD_KEY: None, HDD_KEY: None}
    if len(words) > 50:
        measure = richness(words, preprocessor=None, tokenizer=None)
        scores[MTLD_KEY] = float(measure.mtld(threshold=0.72))
        if len(words) < 1000:
            scores[HDD_KEY] = float(measure.hdd(draws=42))
    return scores


class LexicalDiversitySampleEvaluator(SampleEvaluator):
    """Writes ``LexicalDiversityMTLDScore`` and ``LexicalDiversityHD-DScore`` (None when the
    text is too short, or too long for HD-D)."""

    def __init__(self) -> None:
        self._richness = require("lexicalrichness", "text-metrics").LexicalRichness

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        for row in rows:
            row.update(lexical_diversity(text_field(self.name, row, input_key), self._richness))
        return rows


class LexicalDiversityFilter(Filter):
    """Keeps rows whose MTLD and HD-D lie within ``min_scores``/``max_scores`` (keyed ``mtld``,
    ``hdd``); a score that could not be computed (None) passes, as DataFlow's NaN does.

    The scores and a ``<score key>_label`` of 1/0 per metric in ``output_keys`` are written to
    the row, as DataFlow writes them (to the rows it keeps: dropped rows are not written out).
    """

    def __init__(
        self,
        min_scores: dict[str, float] | None = None,
        max_scores: dict[str, float] | None = None,
    ) -> None:
        self.min_scores = dict(min_scores if min_scores is not None else {"mtld": 50, "hdd": 0.8})
        self.max_scores = dict(
            max_scores if max_scores is not None else {"mtld": 99999, "hdd": 1.0}
        )
        if self.min_scores.keys() != self.max_scores.keys():
            raise ValueError(f"{self.name}: min_scores and max_scores must have the same keys")
        unknown = set(self.min_scores) - set(METRIC_KEYS)
        if unknown:
            raise ValueError(f"{self.name}: unknown metrics {sorted(unknown)}; known: mtld, hdd")
        self._richness = require("lexicalrichness", "text-metrics").LexicalRichness

    def process(
        self, rows: list[Row], input_key: str = "text", output_keys: list[str] | None = None
    ) -> list[bool | tuple[bool, str]]:
        metrics = list(output_keys) if output_keys is not None else ["mtld", "hdd"]
        if sorted(metrics) != sorted(self.min_scores):
            raise ValueError(
                f"{self.name}: output_keys {metrics} must name the metrics of min_scores "
                f"{list(self.min_scores)}"
            )
        verdicts: list[bool | tuple[bool, str]] = []
        for row in rows:
            scores = lexical_diversity(text_field(self.name, row, input_key), self._richness)
            failed = []
            for metric in metrics:
                key = METRIC_KEYS[metric]
                value = scores[key]
                low, high = self.min_scores[metric], self.max_scores[metric]
                ok = value is None or math.isnan(value) or low <= value <= high
                row[key] = value
                row[f"{key}_label"] = int(ok)
                if not ok:
                    failed.append(f"{metric} {value:.3f} outside [{low}, {high}]")
            verdicts.append((False, "; ".join(failed)) if failed else True)
        return verdicts
