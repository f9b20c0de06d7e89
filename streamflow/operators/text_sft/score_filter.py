"""What every text_sft filter shares: score each row with its evaluator, keep a score range.

DataFlow's filters (``AlpagasusFilter``, ``DeitaQualityFilter``, ...) each wrap the matching
sample evaluator, write its score into ``output_key`` and keep the rows whose score lies in
``[min_score, max_score]``. A row its evaluator cannot score (an empty field, an unusable model
answer) goes to the dead letters with the reason, as it does from the evaluator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamflow.rows import Failure, Row

__all__ = ["check_range", "keep_in_range", "text_field"]

Verdict = bool | tuple[bool, str] | Failure


def check_range(owner: str, min_score: float, max_score: float) -> None:
    if min_score > max_score:
        raise ValueError(f"{owner}: min_score {min_score} is above max_score {max_score}")


def keep_in_range(
    rows: Sequence[Row],
    scores: Sequence[Any],
    output_key: str,
    min_score: float,
    max_score: float,
) -> list[Verdict]:
    """One verdict per row: its score written to ``output_key``, kept if within the range."""
    verdicts: list[Verdict] = []
    for row, score in zip(rows, scores, strict=True):
        if isinstance(score, Failure):
            verdicts.append(score)
            continue
        row[output_key] = score
        if min_score <= score <= max_score:
            verdicts.append(True)
        else:
            verdicts.append(
                (False, f"{output_key} {score:g} outside [{min_score:g}, {max_score:g}]")
            )
    return verdicts


def text_field(row: Row, key: str | None, *, required: bool = True) -> str | Failure:
    """A row's text field; a missing or blank required one is a failure naming the field.

    An optional field (``required=False``, e.g. DataFlow's ``input``) that is missing reads as
    an empty string.
    """
    if key is None:
        return ""
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            return Failure(f"empty or missing field {key!r}")
        return ""
    return value if isinstance(value, str) else str(value)
