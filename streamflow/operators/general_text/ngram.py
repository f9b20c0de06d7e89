"""N-gram repetition (DataFlow's ``NgramSampleEvaluator`` and ``NgramFilter``): the share of a
text's n-grams that are distinct. 1.0 means no n-gram repeats; boilerplate, lists and spam that
repeat phrases score low.

As DataFlow computes it: the text is lower-cased and every character that is neither a word
character nor whitespace is removed; ``language="en"`` splits on whitespace into words,
``language="zh"`` removes all whitespace and takes characters; the score is distinct n-grams /
all n-grams, and 0.0 for a text with fewer than ``ngrams`` tokens (or an empty or non-string
value).
"""

from __future__ import annotations

import re
from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.rows import Row

__all__ = ["NgramFilter", "NgramSampleEvaluator", "ngram_score"]

_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def ngram_score(text: Any, ngrams: int = 5, language: str = "en") -> float:
    """Distinct ``ngrams``-grams / all of them (see the module docstring)."""
    if not text or not isinstance(text, str):
        return 0.0
    content = _PUNCTUATION.sub("", text.lower())
    tokens: list[str] = list(_SPACE.sub("", content)) if language == "zh" else content.split()
    if len(tokens) < ngrams:
        return 0.0
    grams = [tuple(tokens[i : i + ngrams]) for i in range(len(tokens) - ngrams + 1)]
    return len(set(grams)) / len(grams)


def _check_language(op: str, language: str) -> None:
    if language not in ("zh", "en"):
        raise ValueError(f"{op}: language must be 'zh' or 'en', got {language!r}")


class NgramSampleEvaluator(SampleEvaluator):
    """Writes the n-gram repetition score (distinct / all ``ngrams``-grams) to ``output_key``."""

    def __init__(self, ngrams: int = 5, language: str = "en") -> None:
        _check_language(self.name, language)
        self.ngrams = ngrams
        self.language = language

    def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "NgramScore"
    ) -> list[Row]:
        for row in rows:
            row[output_key] = ngram_score(row.get(input_key), self.ngrams, self.language)
        return rows


class NgramFilter(Filter):
    """Keeps rows whose n-gram repetition score lies in ``[min_score, max_score]``; the score is
    written to ``output_key`` as DataFlow does."""

    def __init__(
        self, min_score: float = 0.8, max_score: float = 1, ngrams: int = 5, language: str = "en"
    ) -> None:
        _check_language(self.name, language)
        self.min_score = min_score
        self.max_score = max_score
        self.ngrams = ngrams
        self.language = language

    def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "NgramScore"
    ) -> list[bool | tuple[bool, str]]:
        verdicts: list[bool | tuple[bool, str]] = []
        for row in rows:
            score = ngram_score(row.get(input_key), self.ngrams, self.language)
            row[output_key] = score
            if self.min_score <= score <= self.max_score:
                verdicts.append(True)
            else:
                verdicts.append(
                    (
                        False,
                        f"n-gram score {score:.3f} outside [{self.min_score}, {self.max_score}]",
                    )
                )
        return verdicts
