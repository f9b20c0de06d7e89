"""ReasoningAnswerGroundTruthFilter: extraction + equivalence, with a hard limit per row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import read_jsonl, write_jsonl

pytest.importorskip("math_verify")

from streamflow.operators.reasoning.ground_truth_filter import (
    ReasoningAnswerGroundTruthFilter,
    reference_answer,
)
from streamflow.testing import apply


def test_reference_answer_forms() -> None:
    assert reference_answer("Some steps.\n#### 1,200") == "1,200"
    assert reference_answer("so \\boxed{\\frac{1}{2}}") == "\\frac{1}{2}"
    assert reference_answer(18) == "18"
    assert reference_answer(None) == ""


def test_keeps_equivalent_answers_and_says_why_it_drops() -> None:
    op = ReasoningAnswerGroundTruthFilter(timeout=3)
    rows = [
        {"generated_cot": "→ ... \\boxed{\\dfrac{1}{2}}", "golden_answer": "0.5"},
        {"generated_cot": "→ ... \\boxed{(x+1)^2}", "golden_answer": "$x^2+2x+1$"},
        {"generated_cot": "The answer is 18 dollars.", "golden_answer": "#### 18"},
        {"generated_cot": "→ ... \\boxed{5}", "golden_answer": "4"},
        {"generated_cot": "I do not know.", "golden_answer": "4"},
        {"generated_cot": "\\boxed{3}", "golden_answer": ""},
        {"generated_cot": "\\boxed{3}"},
    ]
    out = apply(op, rows)
    assert out.batch.rows == rows[:3]
    assert [d.reason for d in out.dropped] == [
        "answer '5' != reference '4' (numbers differ)",
        "no final answer in the solution",
        "no reference answer",
        "no reference answer",
    ]


def test_a_pathological_answer_is_a_dead_letter_and_the_rest_go_on() -> None:
    op = ReasoningAnswerGroundTruthFilter(timeout=1.5)
    rows = [
        {"generated_cot": "\\boxed{" + "+".join(["1"] * 25_000) + "}", "golden_answer": "1"},
        {"generated_cot": "\\boxed{10^{10^{10^{10}}}}", "golden_answer": "1"},
        {"generated_cot": "\\boxed{x^2-1}", "golden_answer": "$(x-1)(x+1)$"},
    ]
    out = apply(op, rows)
    assert [reason for _, _, reason in out.failed] == [
        "answer check: math-verify timed out after 1.5s",
        "answer check: math-verify timed out after 1.5s",
    ]
    assert out.batch.rows == rows[2:]


def test_exact_compares_normalised_strings() -> None:
    op = ReasoningAnswerGroundTruthFilter(compare_method="exact")
    rows = [
        {"generated_cot": "\\boxed{\\dfrac12}", "golden_answer": "\\frac{1}{2}"},
        {"generated_cot": "\\boxed{0.5}", "golden_answer": "\\frac{1}{2}"},
    ]
    out = apply(op, rows)
    assert out.batch.rows == rows[:1]
    with pytest.raises(ValueError, match="compare_method"):
        ReasoningAnswerGroundTruthFilter(compare_method="fuzzy")  # type: ignore[arg-type]


def test_gsm8k_reference_solutions_through_the_filter(chain, tmp_path, shared_data: Path) -> None:
    """All 1,319 GSM8K test solutions through the operator in a pipeline: each worked solution
    (without its #### line) against the full reference answer. Prints the agreement and the
    rows that did not pass."""
    rows = []
    for line in (shared_data / "gsm8k" / "test.jsonl").open():
        item = json.loads(line)
        solution, _, _ = item["answer"].rpartition("####")
        rows.append({"generated_cot": solution, "golden_answer": item["answer"]})
    src = write_jsonl(tmp_path / "gsm8k.jsonl", rows)
    out = tmp_path / "kept.jsonl"
    op = ReasoningAnswerGroundTruthFilter()
    run_dir = tmp_path / "run"  # keeps the dropped rows and their reasons
    result = chain([(op, {})], entry_file=src, output_file=out, run_dir=run_dir).run(batch_size=128)
    kept = read_jsonl(out)
    agreement = len(kept) / len(rows)
    print(f"\nGSM8K through the filter: {len(kept)}/{len(rows)} = {agreement:.4f}")
    misses = result.dropped.records()
    assert len(misses) == len(rows) - len(kept)
    for dropped in misses:
        print(f"  dropped {dropped.id}: {dropped.reason}")
    assert result.stats.failed == 0
    assert agreement >= 0.995
