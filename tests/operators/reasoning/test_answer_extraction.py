"""ReasoningAnswerExtractionQwenMathEvalGenerator."""

from __future__ import annotations

from streamflow.operators.reasoning.answer_extraction import (
    ReasoningAnswerExtractionQwenMathEvalGenerator,
)
from streamflow.testing import apply


def test_writes_the_normalised_final_answer() -> None:
    rows = [
        {"pseudo_correct_solution_example": "→ so \\boxed{\\dfrac{1}{2}}"},
        {"pseudo_correct_solution_example": "The answer is 12 dollars."},
        {"pseudo_correct_solution_example": None},
        {},
    ]
    out = apply(ReasoningAnswerExtractionQwenMathEvalGenerator(), rows)
    assert [r["extraction"] for r in out.batch.rows] == ["\\frac{1}{2}", "12", "", ""]


def test_dataset_name_keeps_units_for_minerva() -> None:
    rows = [{"s": "\\boxed{3 \\text{ m/s}}"}]
    plain = apply(
        ReasoningAnswerExtractionQwenMathEvalGenerator(), rows, input_key="s", output_key="a"
    )
    minerva = apply(
        ReasoningAnswerExtractionQwenMathEvalGenerator("minerva_math"),
        rows,
        input_key="s",
        output_key="a",
    )
    assert plain.batch.rows[0]["a"] == "3"
    assert minerva.batch.rows[0]["a"] == "3m/s"
