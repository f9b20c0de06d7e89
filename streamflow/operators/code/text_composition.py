"""Character composition: DataFlow's ``CodeTextCompositionSampleEvaluator`` and
``CodeTextCompositionFilter``.

Codex's and StarCoder's rule against binary, minified and encrypted content (Chen et al., 2021,
§3.1; Li et al., 2023, §3 "Alpha filter"): at least 25% of a file's characters must be letters;
for assembly languages (Motorola 68K Assembly, WebAssembly), whose text is mostly numbers, at
least 25% letters or digits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.operators.code._base import (
    CodeSample,
    Measured,
    Verdict,
    _HeuristicCodeEvaluator,
    _HeuristicCodeFilter,
)
from streamflow.rows import Row

__all__ = ["CodeTextCompositionFilter", "CodeTextCompositionSampleEvaluator"]

MIN_FRACTION = 0.25


class CodeTextCompositionSampleEvaluator(_HeuristicCodeEvaluator):
    """Writes ``CodeTextCompositionAlphaRatio``, ``CodeTextCompositionAlnumRatio`` and
    ``CodeTextCompositionScore`` (1.0 when the fraction the language's rule reads is at least
    0.25). An empty text has ratios 0 and fails, as in DataFlow."""

    score_name: ClassVar[str] = "CodeTextCompositionScore"
    SPECIAL_LANGS: ClassVar[frozenset[str]] = frozenset({"Motorola 68K Assembly", "WebAssembly"})

    def measure(self, sample: CodeSample) -> Measured:
        text = sample.text
        size = max(1, len(text))
        alpha = sum(c.isalpha() for c in text) / size
        alnum = sum(c.isalnum() for c in text) / size
        why = None
        if sample.language in self.SPECIAL_LANGS:
            if alnum < MIN_FRACTION:
                why = f"alphanumeric fraction {alnum:.3f} < {MIN_FRACTION}"
        elif alpha < MIN_FRACTION:
            why = f"alphabetic fraction {alpha:.3f} < {MIN_FRACTION}"
        scores: dict[str, Any] = {
            "CodeTextCompositionAlphaRatio": alpha,
            "CodeTextCompositionAlnumRatio": alnum,
            "CodeTextCompositionScore": 0.0 if why else 1.0,
        }
        return scores, why


class CodeTextCompositionFilter(_HeuristicCodeFilter):
    """Drops files with too few letters (see the module); keeps
    ``CodeTextCompositionScore`` in ``[min_score, max_score]`` (DataFlow's defaults 1.0, 1.0)."""

    def __init__(self, min_score: float = 1.0, max_score: float = 1.0) -> None:
        self.min_score = min_score
        self.max_score = max_score
        self._check_range()
        self.scorer = CodeTextCompositionSampleEvaluator()

    def process(
        self, rows: list[Row], input_key: str, output_key: str = "text_composition_filter_label"
    ) -> list[Verdict]:
        return self.keep(rows, input_key, output_key)
