"""PairQual: a text-quality regressor trained on pairwise GPT-4 preferences (English or Chinese).

``zks2856/PairQual-Scorer-en`` and ``-zh`` are a BERT-family encoder (BGE) with a regression
head on the pooled output: English ``Linear(hidden, 512) -> ReLU -> Dropout(0.2) -> Linear(512,
1)``, Chinese ``Linear(hidden, 256) -> ReLU -> Linear(256, 1)``. Their checkpoints hold the
encoder under ``bert.`` and the head under ``regression.``; the classes below have that layout,
so ``from_pretrained`` loads them as they are. Higher is better; the score is not bounded.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.extras import require
from streamflow.operators.text_pt._scoring import encode, texts_of, with_scores
from streamflow.operators.text_sft.model_scorer import (
    LoadedModel,
    ModelLoadError,
    ModelScorer,
    pick_device,
)
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range
from streamflow.rows import Failure, Row

__all__ = ["PairQualFilter", "PairQualSampleEvaluator", "pair_qual_model_class"]

MODELS = {"en": "zks2856/PairQual-Scorer-en", "zh": "zks2856/PairQual-Scorer-zh"}


@functools.cache
def pair_qual_model_class(lang: Literal["en", "zh"]) -> Any:
    """The transformers model class of the ``lang`` scorer (built on first use: it needs torch)."""
    torch = require("torch", "models")
    transformers = require("transformers", "models")

    class PairQualRegressor(transformers.BertPreTrainedModel):  # type: ignore[misc, name-defined]
        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.bert = transformers.BertModel(config)
            if lang == "en":
                layers = [
                    torch.nn.Linear(config.hidden_size, 512),
                    torch.nn.ReLU(),
                    torch.nn.Dropout(0.2),
                    torch.nn.Linear(512, 1),
                ]
            else:
                layers = [
                    torch.nn.Linear(config.hidden_size, 256),
                    torch.nn.ReLU(),
                    torch.nn.Linear(256, 1),
                ]
            self.regression = torch.nn.Sequential(*layers)
            self.post_init()

        def forward(self, **inputs: Any) -> Any:
            pooled = self.bert(**inputs).pooler_output
            return self.regression(pooled)[:, 0]

    PairQualRegressor.__name__ = f"PairQualRegressor_{lang}"
    return PairQualRegressor


def _check_lang(lang: str) -> None:
    if lang not in MODELS:
        raise ValueError(f"PairQual: lang must be 'en' or 'zh', got {lang!r}")


class _PairQualScorer(ModelScorer):
    lang: Literal["en", "zh"]
    max_length: int

    def load(self) -> LoadedModel:
        torch = require("torch", "models")
        transformers = require("transformers", "models")
        target = pick_device(self.device)
        name, cache = self.model_name_or_path, self.model_cache_dir
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(name, cache_dir=cache)
            model = pair_qual_model_class(self.lang).from_pretrained(
                name, cache_dir=cache, dtype=torch.float32 if target == "cpu" else "auto"
            )
        except (OSError, ValueError) as exc:
            first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
            raise ModelLoadError(f"cannot load model {name!r}: {first.strip()}") from exc
        model.to(target)
        model.eval()
        model.requires_grad_(False)
        return LoadedModel(tokenizer, model, target)

    def scores(self, rows: list[Row], input_key: str) -> list[Any]:
        return self.score_all(texts_of(rows, input_key), self._batch)

    def _batch(self, loaded: LoadedModel, texts: list[str]) -> list[float]:
        out = loaded.model(**encode(loaded, texts, self.max_length)).float()
        return [float(v) for v in out.cpu()]


class PairQualSampleEvaluator(_PairQualScorer, SampleEvaluator):
    """Writes each text's PairQual score into ``output_key``.

    Differences from DataFlow: ``model_name_or_path`` (keyword) replaces the model chosen by
    ``lang``, e.g. with a local copy; ``batch_size`` rows go through the model at once
    (DataFlow: one by one); ``device=None`` picks the GPU when there is one.
    """

    def __init__(
        self,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        lang: Literal["en", "zh"] = "en",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 16,
    ) -> None:
        _check_lang(lang)
        self.lang = lang
        self.max_length = max_length
        self._set_model(model_name_or_path or MODELS[lang], device, model_cache_dir, batch_size)

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "PairQualScore"
    ) -> list[Row | Failure]:
        return with_scores(rows, self.scores(rows, input_key), output_key)


class PairQualFilter(_PairQualScorer, Filter):
    """Keeps texts whose PairQual score lies in ``[min_score, max_score]`` (DataFlow: 0 and up).

    ``device``, ``max_length``, ``model_name_or_path`` and ``batch_size`` are not in DataFlow's
    filter (its scorer uses their defaults).
    """

    def __init__(
        self,
        min_score: float = 0,
        max_score: float = 10000,
        model_cache_dir: str | None = "./dataflow_cache",
        lang: Literal["en", "zh"] = "en",
        *,
        device: str | None = None,
        max_length: int = 512,
        model_name_or_path: str | None = None,
        batch_size: int = 16,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        _check_lang(lang)
        self.lang = lang
        self.max_length = max_length
        self.min_score, self.max_score = min_score, max_score
        self._set_model(model_name_or_path or MODELS[lang], device, model_cache_dir, batch_size)

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "PairQualScore"
    ) -> list[Any]:
        return keep_in_range(
            rows, self.scores(rows, input_key), output_key, self.min_score, self.max_score
        )
