"""Reward-model scores: a sequence classifier rates how good a response is for an instruction.

DataFlow uses ``OpenAssistant/reward-model-deberta-v3-large-v2``, a DeBERTa-v3 classifier with
one output: the instruction and the response go in as a text pair and the logit is the reward
(higher is better; roughly -5 to 5, not bounded). Rows are scored ``batch_size`` at a time
(DataFlow sends the whole dataset in one batch); pairs longer than the model's maximum input are
truncated by its tokenizer.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelScorer
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range, text_field
from streamflow.rows import Failure, Row

__all__ = ["RMFilter", "RMSampleEvaluator"]


class _RewardScorer(ModelScorer):
    default_model = "OpenAssistant/reward-model-deberta-v3-large-v2"
    model_kind = "sequence_classification"

    def rewards(self, rows: list[Row], instruction_key: str, output_key: str) -> list[Any]:
        items: list[tuple[str, str] | Failure] = []
        for row in rows:
            instruction, output = text_field(row, instruction_key), text_field(row, output_key)
            failed = instruction if isinstance(instruction, Failure) else output
            items.append(failed if isinstance(failed, Failure) else (str(instruction), str(output)))
        return self.score_all(items, self._batch)

    def _batch(self, loaded: LoadedModel, pairs: list[tuple[str, str]]) -> list[float]:
        encoded = loaded.tokenizer(
            [p[0] for p in pairs],
            [p[1] for p in pairs],
            return_tensors="pt",
            padding=True,
            truncation=True,
        ).to(loaded.device)
        logits = loaded.model(**encoded).logits.float()
        return [float(v) for v in logits[:, 0].cpu()]


class RMSampleEvaluator(_RewardScorer, SampleEvaluator):
    """Writes the reward model's score of each (instruction, response) pair into ``output_key``.

    ``model_name_or_path`` (not in DataFlow) takes another reward model or a local copy.
    """

    def __init__(
        self,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 16,
    ) -> None:
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
        output_key: str = "RMScore",
    ) -> list[Row | Failure]:
        scores = self.rewards(rows, input_instruction_key, input_output_key)
        return [
            s if isinstance(s, Failure) else {**row, output_key: s}
            for row, s in zip(rows, scores, strict=True)
        ]


class RMFilter(_RewardScorer, Filter):
    """Keeps rows whose reward lies in ``[min_score, max_score]`` (DataFlow: 0.2 to 0.8)."""

    def __init__(
        self,
        min_score: float = 0.2,
        max_score: float = 0.8,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 16,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.min_score, self.max_score = min_score, max_score

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
        output_key: str = "RMScore",
    ) -> list[Any]:
        scores = self.rewards(rows, input_instruction_key, input_output_key)
        return keep_in_range(rows, scores, output_key, self.min_score, self.max_score)
