"""CodeDocumentQualitySampleEvaluator / Filter: Gopher / RedPajama document signals."""

from __future__ import annotations

import pytest

from streamflow.operators.code.document_quality import (
    CodeDocumentQualityFilter,
    CodeDocumentQualitySampleEvaluator,
    duplicate_ngram_fraction,
    unigram_entropy,
)
from streamflow.testing import apply

STRICT = {
    "min_num_chars": 100,
    "max_frac_duplicate_lines": 0.3,
    "max_frac_duplicate_5gram": 0.3,
    "max_frac_curly_bracket": 0.1,
    "max_frac_all_caps_words": 0.3,
    "min_entropy_unigram": 2.0,
}
GOOD = (
    "import math\n\n\ndef circle_area(radius: float) -> float:\n"
    '    """Area of a circle of the given radius."""\n'
    "    if radius < 0:\n        raise ValueError('negative radius')\n"
    "    return math.pi * radius ** 2\n"
)


def test_signals() -> None:
    assert duplicate_ngram_fraction(["a", "b", "a", "b"], 2) == pytest.approx(2 / 3)
    assert duplicate_ngram_fraction(["a"], 2) == 0.0
    assert unigram_entropy(["a", "b", "c", "d"]) == pytest.approx(2.0)
    out = apply(CodeDocumentQualitySampleEvaluator(), [{"t": "X = {1}\nX = {1}\n"}], input_key="t")
    row = out.batch.rows[0]
    assert row["CodeDocumentQualityDuplicateLinesRatio"] == 1.0
    assert row["CodeDocumentQualityCurlyBracketRatio"] == pytest.approx(4 / 16)
    assert row["CodeDocumentQualityAllCapsRatio"] == 0.0  # one-letter words are not "all caps"
    assert row["CodeDocumentQualityDuplicate2gramRatio"] == pytest.approx(2 / 3)
    assert row["CodeDocumentQualityScore"] == 1.0  # the defaults let everything through


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x = 1\n", "6 characters outside [100"),
        ("print('spam')\n" * 20, "fraction of duplicate lines 1.000 > 0.3"),
        ("m = {" + "{}, " * 14 + "}\n" + GOOD, "curly brackets"),
        ("HTTP_OK = 200\nHTTP_NOT_FOUND = 404\nSERVER_ERROR = 500\n" * 1 + "# " + "A " * 40,
         "entropy"),
    ],
)  # fmt: skip
def test_filter_names_the_failed_rule(text: str, reason: str) -> None:
    out = apply(CodeDocumentQualityFilter(thresholds=STRICT), [{"t": text}], input_key="t")
    assert not out.batch.rows and reason in out.dropped[0].reason


def test_filter_keeps_good_code_and_rejects_unknown_thresholds() -> None:
    out = apply(CodeDocumentQualityFilter(thresholds=STRICT), [{"t": GOOD}], input_key="t")
    assert out.batch.rows[0]["doc_quality_filter_label"] == 1
    with pytest.raises(ValueError, match="unknown thresholds \\['max_frac_typo'\\]"):
        CodeDocumentQualityFilter(thresholds={"max_frac_typo": 0.1})
