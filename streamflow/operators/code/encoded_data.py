"""Encoded data: DataFlow's ``CodeEncodedDataSampleEvaluator`` and ``CodeEncodedDataFilter``.

StarCoder's "encoded data" filter (Li et al., 2023, §3): three patterns find data pasted into
source files -- base64 runs of 64 or more characters, 8 or more hexadecimal bytes in a row
(``0x``/``\\x`` optional, comma or space separated), and 8 or more ``\\uXXXX`` escapes in a
row. A file where the text one pattern matches is more than half of the file is data, not code.
(StarCoder also drops a file with more than 1,024 matched characters; DataFlow does not, nor do
we.)
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from streamflow.operators.code._base import (
    CodeSample,
    Measured,
    Verdict,
    _HeuristicCodeEvaluator,
    _HeuristicCodeFilter,
)
from streamflow.rows import Row

__all__ = ["CodeEncodedDataFilter", "CodeEncodedDataSampleEvaluator"]

PATTERNS = {
    "Base64": re.compile(r"[a-zA-Z0-9+/=\n]{64,}"),
    "Hex": re.compile(r"(?:\b(?:0x|\\x)?[0-9a-fA-F]{2}(?:,|\b\s*)){8,}"),
    "Unicode": re.compile(r"(?:\\u[0-9a-fA-F]{4}){8,}"),
}
MAX_FRACTION = 0.5


class CodeEncodedDataSampleEvaluator(_HeuristicCodeEvaluator):
    """Writes ``CodeEncodedDataBase64Ratio``, ``CodeEncodedDataHexRatio``,
    ``CodeEncodedDataUnicodeRatio`` (matched characters / all characters) and
    ``CodeEncodedDataScore`` (1.0 when no ratio passes 0.5)."""

    score_name: ClassVar[str] = "CodeEncodedDataScore"

    def measure(self, sample: CodeSample) -> Measured:
        text = sample.text
        size = max(1, len(text))
        scores: dict[str, Any] = {}
        why = None
        for kind, pattern in PATTERNS.items():
            ratio = sum(len(m.group()) for m in pattern.finditer(text)) / size
            scores[f"CodeEncodedData{kind}Ratio"] = ratio
            if why is None and ratio > MAX_FRACTION:
                why = f"{kind.lower()} data is {ratio:.0%} of the file (> {MAX_FRACTION:.0%})"
        scores["CodeEncodedDataScore"] = 0.0 if why else 1.0
        return scores, why


class CodeEncodedDataFilter(_HeuristicCodeFilter):
    """Drops files that are mostly encoded data (see the module); keeps
    ``CodeEncodedDataScore`` in ``[min_score, max_score]`` (DataFlow's defaults 1.0, 1.0)."""

    def __init__(self, min_score: float = 1.0, max_score: float = 1.0) -> None:
        self.min_score = min_score
        self.max_score = max_score
        self._check_range()
        self.scorer = CodeEncodedDataSampleEvaluator()

    def process(
        self, rows: list[Row], input_key: str, output_key: str = "encoded_data_filter_label"
    ) -> list[Verdict]:
        return self.keep(rows, input_key, output_key)
