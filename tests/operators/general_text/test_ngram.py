"""NgramSampleEvaluator and NgramFilter on hand-computed cases."""

from __future__ import annotations

import pytest

from streamflow.operators.general_text.ngram import (
    NgramFilter,
    NgramSampleEvaluator,
    ngram_score,
)
from streamflow.testing import apply


def test_hand_computed_scores() -> None:
    # 6 words, 2-grams: (a b) (b a) (a b) (b c) (c d): 4 distinct of 5
    assert ngram_score("A b, a B c d!", ngrams=2) == pytest.approx(4 / 5)
    assert ngram_score("one two three four five", ngrams=5) == 1.0
    assert ngram_score("too short", ngrams=5) == 0.0
    assert ngram_score("", ngrams=1) == 0.0 and ngram_score(None) == 0.0
    # zh: characters, whitespace and punctuation removed: 你好你好 -> 2-grams 你好 好你 你好
    assert ngram_score("你好，你 好", ngrams=2, language="zh") == pytest.approx(2 / 3)
    spam = "buy now " * 20
    assert ngram_score(spam, ngrams=2) == pytest.approx(2 / 39)


def test_evaluator_and_filter() -> None:
    rows = [{"text": "the cat sat on the mat by the door today"}, {"text": "buy now " * 20}]
    out = apply(NgramSampleEvaluator(), [dict(r) for r in rows], input_key="text")
    assert [r["NgramScore"] for r in out.batch.rows] == [1.0, pytest.approx(2 / 36)]
    out = apply(NgramFilter(), [dict(r) for r in rows], input_key="text", output_key="s")
    assert out.batch.ids == ["row:0"] and out.batch.rows[0]["s"] == 1.0
    assert "n-gram score 0.056" in out.dropped[0].reason


def test_language_is_checked() -> None:
    with pytest.raises(ValueError, match="language"):
        NgramFilter(language="de")
