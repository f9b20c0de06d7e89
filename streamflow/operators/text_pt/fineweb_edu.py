"""FineWeb-Edu: how educational a web page is, by HuggingFaceTB's classifier.

``HuggingFaceTB/fineweb-edu-classifier`` is a sequence classifier with one output, a regression
of the 0-5 educational score the FineWeb-Edu annotations gave (higher is more educational; the
logit is not clipped, so it may leave that range a little). FineWeb-Edu kept pages scoring 3 and
up; DataFlow's filter keeps 2.5 and up. Texts longer than the model's input are truncated.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_pt._scoring import encode, texts_of, with_scores
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelScorer
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range
from streamflow.rows import Failure, Row

__all__ = ["FineWebEduFilter", "FineWebEduSampleEvaluator"]


class _FineWebEduScorer(ModelScorer):
    default_model = "HuggingFaceTB/fineweb-edu-classifier"
    model_kind = "sequence_classification"

    def scores(self, rows: list[Row], input_key: str) -> list[Any]:
        return self.score_all(texts_of(rows, input_key), self._batch)

    def _batch(self, loaded: LoadedModel, texts: list[str]) -> list[float]:
        logits = loaded.model(**encode(loaded, texts)).logits.float()
        return [float(v) for v in logits[:, 0].cpu()]


class FineWebEduSampleEvaluator(_FineWebEduScorer, SampleEvaluator):
    """Writes each text's FineWeb-Edu score (about 0 to 5) into ``output_key``.

    Differences from DataFlow: ``model_name_or_path`` takes a local copy or another
    classifier of the same shape; rows go through the model ``batch_size`` at a time
    (DataFlow: one by one); ``device=None`` picks the GPU when there is one.
    """

    def __init__(
        self,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 16,
    ) -> None:
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "FinewebEduScore"
    ) -> list[Row | Failure]:
        return with_scores(rows, self.scores(rows, input_key), output_key)


class FineWebEduFilter(_FineWebEduScorer, Filter):
    """Keeps texts whose FineWeb-Edu score lies in ``[min_score, max_score]`` (DataFlow: 2.5
    and up); the score is written into ``output_key``."""

    def __init__(
        self,
        min_score: float = 2.5,
        max_score: float = 10000,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 16,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.min_score, self.max_score = min_score, max_score

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "FinewebEduScore"
    ) -> list[Any]:
        return keep_in_range(
            rows, self.scores(rows, input_key), output_key, self.min_score, self.max_score
        )
