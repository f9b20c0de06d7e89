"""CodeTextCompositionSampleEvaluator / Filter: at least 25% letters (alnum for assembly)."""

from __future__ import annotations

import pytest

from streamflow.operators.code.text_composition import (
    CodeTextCompositionFilter,
    CodeTextCompositionSampleEvaluator,
)
from streamflow.testing import apply

NUMBERS = "0x12, 0x34, 0x56, 0x78, 0x9a, " * 10  # mostly digits and punctuation


def test_ratios() -> None:
    out = apply(CodeTextCompositionSampleEvaluator(), [{"t": "ab1 "}], input_key="t")
    row = out.batch.rows[0]
    assert row["CodeTextCompositionAlphaRatio"] == pytest.approx(0.5)
    assert row["CodeTextCompositionAlnumRatio"] == pytest.approx(0.75)


def test_filter_reads_alnum_for_assembly() -> None:
    rows = [
        {"t": "def add(a, b):\n    return a + b\n"},
        {"t": "1, 2, 3, 4, 5, 6, 7, 8, 9\n" * 5},
        {"t": {"text": "1, 2, 3, 4\n" * 5, "language": "WebAssembly"}},
        {"t": ""},
    ]
    out = apply(CodeTextCompositionFilter(), rows, input_key="t")
    assert [r["t"] for r in out.batch.rows] == [rows[0]["t"], rows[2]["t"]]
    assert [d.reason.split(": ")[1] for d in out.dropped] == [
        "alphabetic fraction 0.000 < 0.25",
        "alphabetic fraction 0.000 < 0.25",
    ]
