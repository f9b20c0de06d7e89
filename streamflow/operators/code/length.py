"""Line lengths and file size: DataFlow's ``CodeLengthSampleEvaluator`` and
``CodeLengthSampleFilter``.

The thresholds are those of Codex's training-data filter (Chen et al., 2021, "Evaluating Large
Language Models Trained on Code", §3.1: average line length over 100 or any line over 1,000
characters) as BigCode applies them to The Stack for StarCoder (Li et al., 2023, §3): files of
more than 100,000 lines are dropped; data and markup languages (HTML, JSON, Markdown, Roff,
SMT, TeX, Text, XML) may have long lines and are dropped only for a line over 100,000
characters.
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

__all__ = ["CodeLengthSampleEvaluator", "CodeLengthSampleFilter"]

MAX_LINES = 100_000
MAX_AVG_LINE = 100
MAX_LINE = 1_000
MAX_LINE_EXCLUDED = 100_000


class CodeLengthSampleEvaluator(_HeuristicCodeEvaluator):
    """Writes ``CodeLengthTotalLines``, ``CodeLengthAvgLineLength``, ``CodeLengthMaxLineLength``
    and ``CodeLengthScore`` (1.0 when the file passes the limits of the module docstring).

    The language is the sample dict's ``language`` (GitHub linguist names, as in The Stack);
    a plain text or list of lines counts as code ("unknown"), as in DataFlow.
    """

    score_name: ClassVar[str] = "CodeLengthScore"
    EXCLUDED_LANGS: ClassVar[frozenset[str]] = frozenset(
        {"HTML", "JSON", "Markdown", "Roff", "Roff Manpage", "SMT", "TeX", "Text", "XML"}
    )

    def measure(self, sample: CodeSample) -> Measured:
        lines = sample.lines
        n_lines = len(lines)
        avg = sum(map(len, lines)) / max(1, n_lines)
        longest = max(map(len, lines), default=0)
        why = None
        if n_lines > MAX_LINES:
            why = f"{n_lines} lines > {MAX_LINES}"
        elif sample.language not in self.EXCLUDED_LANGS:
            if avg > MAX_AVG_LINE:
                why = f"average line length {avg:.1f} > {MAX_AVG_LINE}"
            elif longest > MAX_LINE:
                why = f"longest line {longest} > {MAX_LINE}"
        elif longest > MAX_LINE_EXCLUDED:
            why = f"longest line {longest} > {MAX_LINE_EXCLUDED} ({sample.language})"
        scores: dict[str, Any] = {
            "CodeLengthTotalLines": n_lines,
            "CodeLengthAvgLineLength": avg,
            "CodeLengthMaxLineLength": longest,
            "CodeLengthScore": 0.0 if why else 1.0,
        }
        return scores, why


class CodeLengthSampleFilter(_HeuristicCodeFilter):
    """Drops oversized files and files of overlong lines (see the module); keeps
    ``CodeLengthScore`` in ``[min_score, max_score]`` (DataFlow's defaults 1.0, 1.0)."""

    def __init__(self, min_score: float = 1.0, max_score: float = 1.0) -> None:
        self.min_score = min_score
        self.max_score = max_score
        self._check_range()
        self.scorer = CodeLengthSampleEvaluator()

    def process(
        self, rows: list[Row], input_key: str, output_key: str = "length_filter_label"
    ) -> list[Verdict]:
        return self.keep(rows, input_key, output_key)
