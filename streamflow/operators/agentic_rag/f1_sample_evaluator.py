"""AgenticRAGQAF1SampleEvaluator: SQuAD token F1 (and exact match) of a predicted answer."""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.agentic_rag.f1 import exact_match_score, f1_score
from streamflow.rows import Failure, Row

__all__ = ["AgenticRAGQAF1SampleEvaluator"]


class AgenticRAGQAF1SampleEvaluator(SampleEvaluator):
    """Writes the best token F1 of ``input_prediction_key`` against the ground truth(s).

    The ground truth may be a string or a list of strings (the best match counts). Scoring is
    SQuAD v1.1's (see :mod:`~streamflow.operators.agentic_rag.f1`), with DataFlow's yes/no rule
    (``yes_no_rule=True`` by default, as in DataFlow). ``output_em_key`` (not in DataFlow)
    also writes exact match. A missing prediction or ground truth scores 0, as in DataFlow;
    a value that is not text (or a list of texts) fails the row.
    """

    def __init__(self, yes_no_rule: bool = True) -> None:
        self.yes_no_rule = yes_no_rule

    def process(
        self,
        rows: list[Row],
        input_prediction_key: str = "refined_answer",
        input_ground_truth_key: str = "golden_doc_answer",
        output_key: str = "F1Score",
        output_em_key: str | None = None,
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            prediction = row.get(input_prediction_key)
            truths: Any = row.get(input_ground_truth_key)
            if isinstance(truths, str):
                truths = [truths]
            if prediction is None or truths is None:
                f1, em = 0.0, 0.0
            elif (
                not isinstance(prediction, str)
                or not isinstance(truths, list)
                or not all(isinstance(t, str) or t is None for t in truths)
            ):
                out.append(
                    Failure(
                        f"{input_prediction_key!r} must be text, {input_ground_truth_key!r} text "
                        "or a list of texts"
                    )
                )
                continue
            else:
                golds = [t for t in truths if t is not None]
                f1 = max(
                    (f1_score(prediction, t, yes_no_rule=self.yes_no_rule) for t in golds),
                    default=0.0,
                )
                em = max((exact_match_score(prediction, t) for t in golds), default=0.0)
            new = {**row, output_key: f1}
            if output_em_key is not None:
                new[output_em_key] = em
            out.append(new)
        return out
