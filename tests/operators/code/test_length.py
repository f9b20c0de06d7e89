"""CodeLengthSampleEvaluator / CodeLengthSampleFilter: Codex / StarCoder line-length limits."""

from __future__ import annotations

from streamflow.operators.code.length import CodeLengthSampleEvaluator, CodeLengthSampleFilter
from streamflow.testing import apply


def test_measures_lines() -> None:
    out = apply(CodeLengthSampleEvaluator(), [{"lines": ["ab", "abcd", ""]}], input_key="lines")
    row = out.batch.rows[0]
    assert row["CodeLengthTotalLines"] == 3
    assert row["CodeLengthAvgLineLength"] == 2.0
    assert row["CodeLengthMaxLineLength"] == 4
    assert row["CodeLengthScore"] == 1.0


def test_limits_and_the_languages_allowed_long_lines() -> None:
    long_avg = ["x" * 150] * 3
    one_long = ["x = 1"] * 50 + ["y" * 1500]
    rows = [
        {"s": long_avg},
        {"s": one_long},
        {"s": {"lines": one_long, "language": "JSON"}},  # data files may have long lines
        {"s": {"lines": ["z" * 100_001], "language": "JSON"}},
        {"s": "short\nlines\n"},
    ]
    out = apply(CodeLengthSampleFilter(), rows, input_key="s")
    assert len(out.batch.rows) == 2
    assert out.batch.rows[0]["s"]["language"] == "JSON"
    reasons = [d.reason for d in out.dropped]
    assert "average line length 150.0 > 100" in reasons[0]
    assert "longest line 1500 > 1000" in reasons[1]
    assert "longest line 100001 > 100000 (JSON)" in reasons[2]
