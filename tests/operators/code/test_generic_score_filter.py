"""CodeGenericScoreFilter: compare a score field with a threshold."""

from __future__ import annotations

import pytest

from streamflow.operators.code.generic_score_filter import CodeGenericScoreFilter
from streamflow.testing import apply

ROWS = [{"s": 7}, {"s": 8}, {"s": 9.5}]


@pytest.mark.parametrize(
    ("method", "kept"),
    [
        ("greater_equal", [8, 9.5]),
        ("greater", [9.5]),
        ("less", [7]),
        ("less_equal", [7, 8]),
        ("equal", [8]),
    ],
)
def test_methods(method: str, kept: list[float]) -> None:
    op = CodeGenericScoreFilter(score_threshold=8, filter_method=method)  # type: ignore[arg-type]
    out = apply(op, [dict(r) for r in ROWS], input_key="s")
    assert [r["s"] for r in out.batch.rows] == kept
    assert all(r["generic_score_filter_label"] == 1 for r in out.batch.rows)
    assert all(" is not " in d.reason for d in out.dropped)


def test_bad_scores_and_methods() -> None:
    with pytest.raises(ValueError, match="unknown filter_method 'above'"):
        CodeGenericScoreFilter(filter_method="above")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'s' must be a number, got 'high'"):
        apply(CodeGenericScoreFilter(), [{"s": "high"}], input_key="s")
