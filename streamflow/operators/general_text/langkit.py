"""Readability and text statistics (DataFlow's ``LangkitSampleEvaluator`` and ``LangkitFilter``).

DataFlow runs langkit's ``light_metrics``, whose text statistics are the ``textstat`` functions
below (langkit's ``textstat`` module calls them one per metric; ``aggregate_reading_level`` is
``text_standard(float_output=True)``), written as ``Langkit<CamelName>Score``. langkit itself
cannot be installed beside streamflow: it brings whylogs and ``whylabs-textstat``, a fork that
installs a module named ``textstat`` over the real one. So the same functions are called from
``textstat`` (extra ``text-metrics``), and the regex-pattern metric that DataFlow discards
(``has_patterns``) is not computed.

Syllables: textstat 0.7.10+ looks words up in the CMU Pronouncing Dictionary, which it downloads
through NLTK on first use; nothing downloads here, so that look-up is switched off (for textstat
in this process) and syllables are counted by pyphen's hyphenation, which is what langkit's
textstat 0.7.4 did for every word.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["METRICS", "LangkitFilter", "LangkitSampleEvaluator", "langkit_scores"]

METRICS: dict[str, tuple[str, str]] = {
    # metric: (textstat function, DataFlow's column)
    "flesch_reading_ease": ("flesch_reading_ease", "LangkitFleschReadingEaseScore"),
    "automated_readability_index": (
        "automated_readability_index",
        "LangkitAutomatedReadabilityIndexScore",
    ),
    "aggregate_reading_level": ("text_standard", "LangkitAggregateReadingLevelScore"),
    "syllable_count": ("syllable_count", "LangkitSyllableCountScore"),
    "lexicon_count": ("lexicon_count", "LangkitLexiconCountScore"),
    "sentence_count": ("sentence_count", "LangkitSentenceCountScore"),
    "character_count": ("char_count", "LangkitCharacterCountScore"),
    "letter_count": ("letter_count", "LangkitLetterCountScore"),
    "polysyllable_count": ("polysyllabcount", "LangkitPolysyllableCountScore"),
    "monosyllable_count": ("monosyllabcount", "LangkitMonosyllableCountScore"),
    "difficult_words": ("difficult_words", "LangkitDifficultWordsScore"),
}


def _functions() -> dict[str, Callable[[str], Any]]:
    textstat = require("textstat", "text-metrics")
    _no_cmudict()
    out: dict[str, Callable[[str], Any]] = {}
    for metric, (function, _) in METRICS.items():
        fn = getattr(textstat, function)
        out[metric] = (
            functools.partial(fn, float_output=True) if function == "text_standard" else fn
        )
    return out


def _no_cmudict() -> None:
    """Make textstat count syllables with pyphen alone (see the module docstring)."""
    try:
        from textstat.backend.counts import _count_syllables
    except ImportError:  # textstat before 0.7.10: pyphen only already
        return
    if getattr(_count_syllables.get_cmudict, "__name__", "") != "_no_dictionary":

        def _no_dictionary(lang: str) -> None:
            return None

        _count_syllables.get_cmudict = _no_dictionary
        _count_syllables.count_syllables.cache_clear()


def langkit_scores(text: str, functions: dict[str, Callable[[str], Any]]) -> dict[str, float]:
    """DataFlow's columns for ``text``: ``{"LangkitFleschReadingEaseScore": ..., ...}``."""
    return {METRICS[m][1]: float(fn(text)) for m, fn in functions.items()}


class LangkitSampleEvaluator(SampleEvaluator):
    """Writes the eleven langkit text statistics (``Langkit*Score``) of ``input_key``."""

    def __init__(self) -> None:
        self._functions = _functions()

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        for row in rows:
            row.update(langkit_scores(text_field(self.name, row, input_key), self._functions))
        return rows


_DEFAULT_MIN = {
    "flesch_reading_ease": 0,
    "automated_readability_index": 0,
    "aggregate_reading_level": 0,
    "syllable_count": 32.0,
    "lexicon_count": 23,
    "sentence_count": 1,
    "character_count": 118,
    "letter_count": 109,
    "polysyllable_count": 0,
    "monosyllable_count": 13,
    "difficult_words": 4,
}
_DEFAULT_MAX = {
    "flesch_reading_ease": 100,
    "automated_readability_index": 100,
    "aggregate_reading_level": 100,
    "syllable_count": 2331.9,
    "lexicon_count": 1554,
    "sentence_count": 89.1,
    "character_count": 7466.3,
    "letter_count": 7193,
    "polysyllable_count": 216.4,
    "monosyllable_count": 1044.1,
    "difficult_words": 213.4,
}


class LangkitFilter(Filter):
    """Keeps rows whose langkit statistics all lie within ``min_scores``/``max_scores``.

    ``min_scores`` and ``max_scores`` are keyed by metric name (``flesch_reading_ease``, ...;
    DataFlow's defaults), and ``output_keys`` names the metrics checked, in DataFlow's order.
    Each checked score and its ``<column>_label`` (1/0) are written to the row, as DataFlow
    writes them.
    """

    def __init__(
        self,
        min_scores: dict[str, float] | None = None,
        max_scores: dict[str, float] | None = None,
        metrics_to_keep: list[str] | None = None,
    ) -> None:
        self.min_scores = dict(min_scores if min_scores is not None else _DEFAULT_MIN)
        self.max_scores = dict(max_scores if max_scores is not None else _DEFAULT_MAX)
        if self.min_scores.keys() != self.max_scores.keys():
            raise ValueError(f"{self.name}: min_scores and max_scores must have the same keys")
        unknown = set(self.min_scores) - set(METRICS)
        if unknown:
            raise ValueError(
                f"{self.name}: unknown metrics {sorted(unknown)}; known: {', '.join(METRICS)}"
            )
        self.metrics_to_keep = list(metrics_to_keep or self.min_scores)
        self._functions = _functions()

    def process(
        self, rows: list[Row], input_key: str = "text", output_keys: list[str] | None = None
    ) -> list[bool | tuple[bool, str]]:
        metrics = list(output_keys) if output_keys is not None else list(_DEFAULT_MIN)
        if sorted(metrics) != sorted(self.min_scores):
            raise ValueError(
                f"{self.name}: output_keys {metrics} must name the metrics of min_scores "
                f"{list(self.min_scores)}"
            )
        functions = {m: self._functions[m] for m in metrics}
        verdicts: list[bool | tuple[bool, str]] = []
        for row in rows:
            scores = langkit_scores(text_field(self.name, row, input_key), functions)
            failed = []
            for metric in metrics:
                column = METRICS[metric][1]
                value = scores[column]
                low, high = self.min_scores[metric], self.max_scores[metric]
                ok = low <= value <= high
                row[column] = value
                row[f"{column}_label"] = int(ok)
                if not ok:
                    failed.append(f"{metric} {value:g} outside [{low}, {high}]")
            verdicts.append((False, "; ".join(failed)) if failed else True)
        return verdicts
