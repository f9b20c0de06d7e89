from __future__ import annotations

import pytest

from streamflow.agent.scoring import (
    match_slots,
    operator_scores,
    order_agreement,
    output_checks,
    retrieval_recall,
)

GOLD = [["A"], ["B", "B2"], ["C"], ["D"]]


def test_recall_at_k_counts_slots_found_in_any_steps_top_k():
    candidates = [["X", "A", "B2"], ["C", "Y"]]
    assert retrieval_recall(GOLD, candidates, 1) == 0.25  # C only
    assert retrieval_recall(GOLD, candidates, 3) == 0.75  # A, B2, C
    assert retrieval_recall([], candidates, 1) == 1.0


def test_each_slot_is_matched_once_by_any_of_its_operators():
    assert match_slots(GOLD, ["B2", "B", "A"]) == {0: 1, 2: 0}


def test_precision_recall_f1_with_optional_operators_neutral():
    scores = operator_scores(GOLD, ["A", "B", "Opt", "Z"], optional=["Opt"])
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert operator_scores(GOLD, [])["f1"] == 0.0


def test_order_agreement_ignores_pairs_inside_an_unordered_group():
    assert order_agreement(GOLD, ["A", "B", "C", "D"]) == 1.0
    assert order_agreement(GOLD, ["D", "C", "B", "A"]) == 0.0
    # B before A is inside the unordered group {0, 1}: only the pairs with C count
    assert order_agreement(GOLD, ["B", "A", "C"], unordered=[[0, 1]]) == 1.0
    assert order_agreement(GOLD, ["A"]) is None


def test_output_checks():
    rows = [{"text": "a"}, {"text": "b", "q": 1}]
    assert output_checks(rows, 2, ["text"], {"min_rows_out": 1, "max_rows_out": 3}) == []
    failed = output_checks(rows, 2, ["q"], {"max_rows_out": 1})
    assert failed == ["output rows lack q", "2 rows out > max_rows_out 1"]
