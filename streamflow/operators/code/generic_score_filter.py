"""CodeGenericScoreFilter: keep rows whose numeric score compares well with a threshold."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Literal

from streamflow.actors.base import Filter
from streamflow.operators.code._base import Verdict
from streamflow.rows import Row

__all__ = ["CodeGenericScoreFilter"]

FilterMethod = Literal["greater", "greater_equal", "less", "less_equal", "equal"]
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "greater": (operator.gt, ">"),
    "greater_equal": (operator.ge, ">="),
    "less": (operator.lt, "<"),
    "less_equal": (operator.le, "<="),
    "equal": (operator.eq, "=="),
}


class CodeGenericScoreFilter(Filter):
    """Keeps a row when ``row[input_key] <filter_method> score_threshold`` (DataFlow's defaults:
    ``>= 8``); writes the 0/1 label to ``output_key``.

    A row whose score is missing or not a number fails alone, naming the field (DataFlow
    rejects the whole dataset when the column is not numeric). An unknown ``filter_method``
    is an error at construction, not at run time.
    """

    def __init__(self, score_threshold: float = 8, filter_method: FilterMethod = "greater_equal"):
        if filter_method not in COMPARISONS:
            raise ValueError(
                f"CodeGenericScoreFilter: unknown filter_method {filter_method!r}; "
                f"choose one of {sorted(COMPARISONS)}"
            )
        self.score_threshold = score_threshold
        self.filter_method = filter_method

    def process(
        self, rows: list[Row], input_key: str, output_key: str = "generic_score_filter_label"
    ) -> list[Verdict]:
        compare, symbol = COMPARISONS[self.filter_method]
        verdicts: list[Verdict] = []
        for row in rows:
            if input_key not in row:
                raise KeyError(f"CodeGenericScoreFilter: row has no field {input_key!r}")
            score = row[input_key]
            if isinstance(score, bool) or not isinstance(score, int | float):
                raise TypeError(
                    f"CodeGenericScoreFilter: field {input_key!r} must be a number, got {score!r}"
                )
            kept = compare(score, self.score_threshold)
            row[output_key] = int(kept)
            verdicts.append(
                True
                if kept
                else (False, f"{input_key} {score:g} is not {symbol} {self.score_threshold:g}")
            )
        return verdicts
