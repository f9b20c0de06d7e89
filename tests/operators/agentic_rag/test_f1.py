"""F1 and EM as SQuAD v1.1's official script computes them, on written cases."""

from __future__ import annotations

import pytest

from streamflow.operators.agentic_rag.f1 import exact_match_score, f1_score, normalize_answer
from streamflow.operators.agentic_rag.f1_sample_evaluator import AgenticRAGQAF1SampleEvaluator
from streamflow.testing import apply


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("  an   apple,  a pear!  ", "apple pear"),
        ("Theatre of the absurd", "theatre of absurd"),  # 'the' only as a whole word
        ("U.S.A.", "usa"),
        ("A-1 (ok)", "a1 ok"),  # punctuation goes before articles: 'a1' is no article
        ("", ""),
    ],
)
def test_normalization(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


def test_exact_match_ignores_case_articles_and_punctuation() -> None:
    assert exact_match_score("The Eiffel Tower.", "eiffel tower") == 1.0
    assert exact_match_score("Eiffel", "eiffel tower") == 0.0


def test_f1_on_written_cases() -> None:
    # prediction "paris france" vs "paris": precision 1/2, recall 1 -> 2/3
    assert f1_score("Paris, France", "Paris") == pytest.approx(2 / 3)
    # repeated tokens count as a multiset: "the the cat" -> ["cat"]
    assert f1_score("cat cat dog", "the cat") == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))
    assert f1_score("An apple", "the APPLE!") == 1.0
    assert f1_score("banana", "apple") == 0.0
    assert f1_score("", "apple") == 0.0
    # SQuAD scores yes vs "yes indeed" by overlap; DataFlow's rule requires equality
    assert f1_score("yes", "yes indeed") == pytest.approx(2 / 3)
    assert f1_score("yes", "yes indeed", yes_no_rule=True) == 0.0


def test_evaluator_takes_the_best_ground_truth() -> None:
    rows = [
        {"refined_answer": "The Eiffel Tower", "golden_doc_answer": ["Louvre", "eiffel tower"]},
        {"refined_answer": "Paris, France", "golden_doc_answer": "Paris"},
        {"refined_answer": None, "golden_doc_answer": "x"},
        {"refined_answer": 3, "golden_doc_answer": "3"},
    ]
    out = apply(AgenticRAGQAF1SampleEvaluator(), rows, output_em_key="EM")
    scores = [(r["F1Score"], r["EM"]) for r in out.batch.rows]
    assert scores == [(1.0, 1.0), (pytest.approx(2 / 3), 0.0), (0.0, 0.0)]
    assert len(out.failed) == 1 and "must be text" in out.failed[0][2]
