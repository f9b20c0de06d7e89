"""Document-level quality: DataFlow's ``CodeDocumentQualitySampleEvaluator`` and
``CodeDocumentQualityFilter``.

The signals are Gopher's repetition and content rules (Rae et al., 2021, "Scaling Language
Models", appendix A: duplicate-line fraction, duplicate n-gram fractions, word counts) with the
additions RedPajama-V2 publishes as quality signals (Together, 2023: curly-bracket fraction,
all-caps word fraction, unigram entropy), as DataFlow applies them to code files. Every rule is
a threshold in ``thresholds``; the defaults let everything through (DataFlow's), and the
``code_pt_filter`` pipeline sets DataFlow's stricter ones.

Words are ``\\w+`` runs. A duplicate n-gram fraction is the share of n-grams (over words) whose
text occurs more than once; the duplicate-line fraction the same over non-blank stripped lines.

Differences from DataFlow: the n-gram ratio fields are named
``CodeDocumentQualityDuplicate2gramRatio`` ... (DataFlow's names come out as
``CodeDocumentQualityDuplicate_2Gram_RatioRatio``, a slip); an unknown threshold name is an
error instead of being ignored.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from streamflow.operators.code._base import (
    CodeSample,
    Measured,
    Verdict,
    _HeuristicCodeEvaluator,
    _HeuristicCodeFilter,
)
from streamflow.rows import Row

__all__ = ["CodeDocumentQualityFilter", "CodeDocumentQualitySampleEvaluator"]

NGRAM_SIZES = range(2, 11)
DEFAULT_THRESHOLDS: dict[str, float] = {
    "min_num_chars": 1,
    "max_num_chars": 100_000,
    "min_num_words": 1,
    "max_num_words": 100_000,
    "max_frac_duplicate_lines": 1.0,
    **{f"max_frac_duplicate_{n}gram": 1.0 for n in NGRAM_SIZES},
    "max_frac_curly_bracket": 1.0,
    "max_frac_all_caps_words": 1.0,
    "min_entropy_unigram": 0.0,
}
_WORD = re.compile(r"\w+")


def duplicate_fraction(items: Sequence[Any]) -> float:
    """The share of ``items`` whose value occurs more than once."""
    counts = Counter(items)
    total = sum(counts.values())
    return sum(c for c in counts.values() if c > 1) / total if total else 0.0


def duplicate_ngram_fraction(words: Sequence[str], n: int) -> float:
    if len(words) < n:
        return 0.0
    return duplicate_fraction(list(zip(*(words[i:] for i in range(n)), strict=False)))


def unigram_entropy(words: Sequence[str]) -> float:
    """Shannon entropy (bits) of the word distribution."""
    counts = Counter(words)
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0


class CodeDocumentQualitySampleEvaluator(_HeuristicCodeEvaluator):
    """Writes the document signals (``CodeDocumentQualityCharCount``, ``...WordCount``,
    ``...DuplicateLinesRatio``, ``...CurlyBracketRatio``, ``...AllCapsRatio``, ``...Entropy``,
    ``...Duplicate{n}gramRatio`` for n = 2..10) and ``CodeDocumentQualityScore`` (1.0 when every
    threshold holds). ``thresholds`` overrides some of the defaults (module docstring)."""

    score_name: ClassVar[str] = "CodeDocumentQualityScore"

    def __init__(self, thresholds: Mapping[str, float] | None = None) -> None:
        unknown = sorted(set(thresholds or {}) - set(DEFAULT_THRESHOLDS))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown thresholds {unknown}; "
                f"known: {sorted(DEFAULT_THRESHOLDS)}"
            )
        self.thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}

    def measure(self, sample: CodeSample) -> Measured:
        text = sample.text
        words = _WORD.findall(text)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        chars = len(text)
        caps = sum(1 for w in words if len(w) > 1 and w.isupper()) / len(words) if words else 0.0
        curly = (text.count("{") + text.count("}")) / chars if chars else 0.0
        entropy = unigram_entropy(words)
        scores: dict[str, Any] = {
            "CodeDocumentQualityCharCount": chars,
            "CodeDocumentQualityWordCount": len(words),
            "CodeDocumentQualityDuplicateLinesRatio": duplicate_fraction(lines),
            "CodeDocumentQualityCurlyBracketRatio": curly,
            "CodeDocumentQualityAllCapsRatio": caps,
            "CodeDocumentQualityEntropy": entropy,
        }
        for n in NGRAM_SIZES:
            scores[f"CodeDocumentQualityDuplicate{n}gramRatio"] = duplicate_ngram_fraction(words, n)
        why = self._first_failure(scores)
        scores["CodeDocumentQualityScore"] = 0.0 if why else 1.0
        return scores, why

    def _first_failure(self, s: dict[str, Any]) -> str | None:
        t = self.thresholds
        chars, words = s["CodeDocumentQualityCharCount"], s["CodeDocumentQualityWordCount"]
        if not t["min_num_chars"] <= chars <= t["max_num_chars"]:
            return f"{chars} characters outside [{t['min_num_chars']}, {t['max_num_chars']}]"
        if not t["min_num_words"] <= words <= t["max_num_words"]:
            return f"{words} words outside [{t['min_num_words']}, {t['max_num_words']}]"
        checks = [
            ("duplicate lines", s["CodeDocumentQualityDuplicateLinesRatio"],
             t["max_frac_duplicate_lines"]),
            ("curly brackets", s["CodeDocumentQualityCurlyBracketRatio"],
             t["max_frac_curly_bracket"]),
            ("all-caps words", s["CodeDocumentQualityAllCapsRatio"],
             t["max_frac_all_caps_words"]),
        ]  # fmt: skip
        for what, value, limit in checks:
            if value > limit:
                return f"fraction of {what} {value:.3f} > {limit}"
        if s["CodeDocumentQualityEntropy"] < t["min_entropy_unigram"]:
            return (
                f"unigram entropy {s['CodeDocumentQualityEntropy']:.2f} < "
                f"{t['min_entropy_unigram']}"
            )
        for n in NGRAM_SIZES:
            value = s[f"CodeDocumentQualityDuplicate{n}gramRatio"]
            limit = t[f"max_frac_duplicate_{n}gram"]
            if value > limit:
                return f"fraction of duplicate {n}-grams {value:.3f} > {limit}"
        return None


class CodeDocumentQualityFilter(_HeuristicCodeFilter):
    """Drops files failing a document threshold (see the module); keeps
    ``CodeDocumentQualityScore`` in ``[min_score, max_score]`` (DataFlow's defaults 1.0, 1.0)."""

    def __init__(
        self,
        min_score: float = 1.0,
        max_score: float = 1.0,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.min_score = min_score
        self.max_score = max_score
        self._check_range()
        self.scorer = CodeDocumentQualitySampleEvaluator(thresholds)

    def process(
        self, rows: list[Row], input_key: str, output_key: str = "doc_quality_filter_label"
    ) -> list[Verdict]:
        return self.keep(rows, input_key, output_key)
