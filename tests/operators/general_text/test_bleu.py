"""BleuSampleEvaluator: equal to sacrebleu's sentence BLEU on cases of ours."""

from __future__ import annotations

import math

import pytest

from streamflow.operators.general_text.bleu import BleuSampleEvaluator
from streamflow.testing import apply

sacrebleu = pytest.importorskip("sacrebleu")

CASES = [
    ("The cat is on the mat.", ["The cat is on the mat."]),
    ("The cat sat on the mat.", ["The cat is on the mat."]),
    ("A dog runs in the park today", ["The dog is running in the park"]),
    ("completely different words", ["The cat is on the mat."]),
    ("The quick brown fox", ["The quick brown fox jumps over the lazy dog"]),
    ("It is raining heavily in Paris", ["It rains heavily in Paris", "Heavy rain in Paris"]),
]


@pytest.mark.parametrize(("hyp", "refs"), CASES)
def test_equals_sacrebleu_sentence_bleu(hyp: str, refs: list[str]) -> None:
    op = BleuSampleEvaluator(eff="closest")
    row = {"g": hyp, "r": refs if len(refs) > 1 else refs[0]}
    out = apply(op, [row], input_key="g", input_reference_key="r")
    expected = sacrebleu.sentence_bleu(hyp, refs).score / 100
    assert out.batch.rows[0]["BleuScore"] == pytest.approx(expected, abs=1e-12)


def test_hand_computed_values() -> None:
    op = BleuSampleEvaluator()
    assert op.score("The cat is on the mat.", ["The cat is on the mat."]) == pytest.approx(1.0)
    # 4 of 9 reference tokens: every precision 1, brevity penalty exp(1 - 9/4)
    assert op.score("The quick brown fox", ["The quick brown fox jumps over the lazy dog"]) == (
        pytest.approx(math.exp(1 - 9 / 4))
    )
    # special_reflen fixes the reference length: 4 tokens, all matched, against 8 -> exp(1 - 2)
    fixed = BleuSampleEvaluator(special_reflen=8)
    assert fixed.score("The quick brown fox", ["The quick brown fox"]) == pytest.approx(
        math.exp(-1)
    )
    assert BleuSampleEvaluator(n=2).score("a b c d", ["a b x d"]) == pytest.approx(
        sacrebleu.metrics.BLEU(max_ngram_order=2, effective_order=True)
        .sentence_score("a b c d", ["a b x d"])
        .score
        / 100
    )


def test_eff_picks_the_reference_length() -> None:
    hyp = "one two three four five"
    refs = ["one two three four five six seven eight nine ten", "one two three four five"]
    shortest = BleuSampleEvaluator(eff="shortest").score(hyp, refs)
    average = BleuSampleEvaluator(eff="average").score(hyp, refs)
    longest = BleuSampleEvaluator(eff="longest").score(hyp, refs)
    assert shortest == pytest.approx(1.0)
    assert average == pytest.approx(math.exp(1 - 7.5 / 5))
    assert longest == pytest.approx(math.exp(1 - 10 / 5))
    with pytest.raises(ValueError, match="eff"):
        BleuSampleEvaluator(eff="median")


def test_bad_reference_field() -> None:
    out = None
    with pytest.raises(TypeError, match="reference_text"):
        out = apply(BleuSampleEvaluator(), [{"generated_text": "a", "reference_text": 3}])
    assert out is None
