"""LangkitSampleEvaluator and LangkitFilter: DataFlow's columns, the textstat values langkit
computes, and counts checked by hand."""

from __future__ import annotations

import pytest

from streamflow.operators.general_text.langkit import (
    METRICS,
    LangkitFilter,
    LangkitSampleEvaluator,
)
from streamflow.testing import apply

TEXT = (
    "The committee reviewed the proposal carefully. It recommended several changes to the "
    "budget, especially for education and infrastructure. Members will vote next week."
)


def test_columns_and_values() -> None:
    textstat = pytest.importorskip("textstat")
    out = apply(LangkitSampleEvaluator(), [{"text": TEXT}], input_key="text")
    row = out.batch.rows[0]
    assert sorted(k for k in row if k.startswith("Langkit")) == sorted(
        column for _, column in METRICS.values()
    )
    assert row["LangkitSentenceCountScore"] == 3
    assert row["LangkitLexiconCountScore"] == 23  # words: 6 + 12 + 5
    assert row["LangkitCharacterCountScore"] == len(TEXT.replace(" ", ""))
    assert row["LangkitLetterCountScore"] == sum(c.isalpha() for c in TEXT)
    assert row["LangkitFleschReadingEaseScore"] == textstat.flesch_reading_ease(TEXT)
    assert row["LangkitAggregateReadingLevelScore"] == textstat.text_standard(
        TEXT, float_output=True
    )


def test_filter_bounds_and_labels() -> None:
    rows = [{"text": TEXT + " " + TEXT}, {"text": "Too short."}]
    out = apply(LangkitFilter(), rows, input_key="text")
    assert out.batch.ids == ["row:0"]
    assert out.batch.rows[0]["LangkitLexiconCountScore_label"] == 1
    assert "lexicon_count 2 outside [23, 1554]" in out.dropped[0].reason
    only = LangkitFilter(min_scores={"sentence_count": 2}, max_scores={"sentence_count": 5})
    out = apply(only, [{"text": TEXT}], input_key="text", output_keys=["sentence_count"])
    assert out.batch.ids == ["row:0"] and "LangkitLexiconCountScore" not in out.batch.rows[0]
    with pytest.raises(ValueError, match="unknown metrics"):
        LangkitFilter(min_scores={"bogus": 1}, max_scores={"bogus": 2})


def test_syllables_come_from_hyphenation_without_a_download() -> None:
    LangkitSampleEvaluator()
    textstat = pytest.importorskip("textstat")
    # pyphen: com-mit-tee, in-fra-struc-ture
    assert textstat.syllable_count("committee") == 3
    assert textstat.syllable_count("infrastructure") == 4
