"""ReasoningAnswerExtractionQwenMathEvalGenerator: the final answer of each solution."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.reasoning.answers import extract_answer
from streamflow.rows import Row

__all__ = ["ReasoningAnswerExtractionQwenMathEvalGenerator"]


class ReasoningAnswerExtractionQwenMathEvalGenerator(Generator):
    """Writes the normalised final answer of the solution in ``input_key`` to ``output_key``.

    Extraction as the Qwen2.5-Math evaluation does it (Minerva's closing sentence, the last
    ``\\boxed{}``, GSM8K's ``####``, "the answer is", the last number) and its normalisation;
    see :mod:`streamflow.operators.reasoning.answers`. ``dataset_name`` is Qwen's
    ``data_name``: ``"minerva_math"`` and ``"carp_en"`` keep units. A solution without an
    answer, or a missing field, gives ``""``.

    Difference from Qwen and DataFlow: where the answer is the last number, the result of the
    last equation of the closing clause is preferred ("= 8 in 3 years" gives 8, not 3).
    """

    def __init__(self, dataset_name: str | None = None) -> None:
        self.dataset_name = dataset_name

    def process(
        self,
        rows: list[Row],
        input_key: str = "pseudo_correct_solution_example",
        output_key: str = "extraction",
    ) -> list[Row]:
        return [
            {**row, output_key: extract_answer(row.get(input_key), self.dataset_name)}
            for row in rows
        ]
