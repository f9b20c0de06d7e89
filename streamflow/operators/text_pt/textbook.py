"""Textbook quality: a fastText classifier's expected "textbook-ness" of a text (1 to 5).

``kenhktsui/llm-data-textbook-quality-fasttext-classifer-v2`` (file ``model.bin``) labels a
text ``__label__High``, ``__label__Mid`` or ``__label__Low`` (after the textbook-quality
criterion of *Textbooks Are All You Need*). The score is the expectation over all labels,
High = 5, Mid = 3, Low = 1, weighted by the model's probabilities, renormalised to sum to 1
(fastText adds 1e-5 to each, so DataFlow's unnormalised sum can exceed 5 and a ``max_score``
of 5 would drop the surest texts); newlines are replaced by spaces first (fastText reads one
line). fastText runs on the CPU and is fast: a batch is one
``predict`` call. The model is fetched from the hub on first use (``model_cache_dir``) unless
``model_path`` names a local ``.bin`` file.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, ClassVar

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.extras import require
from streamflow.operators.text_pt._scoring import texts_of, with_scores
from streamflow.operators.text_sft.model_scorer import ModelLoadError
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range
from streamflow.rows import Failure, Row

__all__ = ["LABEL_SCORES", "TextbookFilter", "TextbookSampleEvaluator"]

REPO = "kenhktsui/llm-data-textbook-quality-fasttext-classifer-v2"
LABEL_SCORES = {"__label__Low": 1.0, "__label__Mid": 3.0, "__label__High": 5.0}
_NEWLINES = re.compile(r"\n+")


class _TextbookScorer:
    expensive: ClassVar[bool] = True
    model_cache_dir: str | None
    model_path: str | None

    def _set_model(self, model_cache_dir: str | None, model_path: str | None) -> None:
        require("fasttext", "models")
        self.model_cache_dir, self.model_path = model_cache_dir, model_path
        self._lock = threading.Lock()
        self._model: Any = None

    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            if isinstance(self._model, ModelLoadError):
                raise self._model
            return self._model

    def _load(self) -> Any:
        fasttext = require("fasttext", "models")
        path = self.model_path
        try:
            if path is None:
                hub = require("huggingface_hub", "models")
                path = hub.hf_hub_download(REPO, "model.bin", cache_dir=self.model_cache_dir)
            if not Path(str(path)).is_file():
                raise ValueError(f"no such file: {path}")
            return fasttext.load_model(str(path))
        except Exception as exc:  # a download or a file fastText cannot read
            return ModelLoadError(f"cannot load the textbook classifier: {exc}")

    def scores(self, rows: list[Row], input_key: str) -> list[float | Failure]:
        texts = texts_of(rows, input_key)
        todo = [i for i, t in enumerate(texts) if not isinstance(t, Failure)]
        out: list[Any] = list(texts)
        if not todo:
            return out
        try:
            model = self.model()
        except ModelLoadError as exc:
            return [t if isinstance(t, Failure) else Failure(str(exc)) for t in texts]
        lines = [_NEWLINES.sub(" ", str(texts[i])) for i in todo]
        labels, probabilities = model.predict(lines, k=-1)
        for i, names, probs in zip(todo, labels, probabilities, strict=True):
            weights = [float(p) for p in probs]
            total = sum(weights)
            score = sum(LABEL_SCORES.get(n, 0.0) * w for n, w in zip(names, weights, strict=True))
            out[i] = score / total
        return out


class TextbookSampleEvaluator(_TextbookScorer, SampleEvaluator):
    """Writes each text's textbook-quality score (1 to 5) into ``output_key``.

    ``model_path`` (keyword, not in DataFlow) names a local copy of the classifier.
    """

    def __init__(
        self, model_cache_dir: str | None = "./dataflow_cache", *, model_path: str | None = None
    ) -> None:
        self._set_model(model_cache_dir, model_path)

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "TextbookScore"
    ) -> list[Row | Failure]:
        return with_scores(rows, self.scores(rows, input_key), output_key)


class TextbookFilter(_TextbookScorer, Filter):
    """Keeps texts whose textbook score lies in ``[min_score, max_score]``.

    DataFlow's defaults (0.99 to 1) are kept for compatibility, but on the 1-to-5 scale they
    keep only texts the model is sure are Low; pass e.g. ``min_score=3`` to keep textbook-like
    text.
    """

    def __init__(
        self,
        min_score: float = 0.99,
        max_score: float = 1,
        model_cache_dir: str | None = "./dataflow_cache",
        *,
        model_path: str | None = None,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_cache_dir, model_path)
        self.min_score, self.max_score = min_score, max_score

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "TextbookScore"
    ) -> list[Any]:
        return keep_in_range(
            rows, self.scores(rows, input_key), output_key, self.min_score, self.max_score
        )
