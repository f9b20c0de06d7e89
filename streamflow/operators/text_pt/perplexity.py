"""Perplexity of a text under a causal language model (lower reads as more fluent, typical text).

As DataFlow does, a Hugging Face causal LM (GPT-2 by default) reads the text as its tokenizer
encodes it by default (GPT-2 adds no BOS; LLaMA-family tokenizers do), truncated to the model's
input limit; the perplexity is ``exp`` of the mean negative log-likelihood of every token that
has one before it. ``model_name="embedded"`` scores with streamflow's embedded SmolLM2, which
works on a machine without network access. Rows are padded into batches; the attention mask
keeps padding out, so a text scores the same alone or in a batch.

A text of a single token has nothing to predict: the row fails with that reason.
"""

from __future__ import annotations

import math
from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_pt._scoring import input_limit, texts_of, with_scores
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelScorer
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range
from streamflow.rows import Failure, Row

__all__ = ["PerplexityFilter", "PerplexitySampleEvaluator", "perplexities"]


def perplexities(loaded: LoadedModel, texts: list[str]) -> list[float | Failure]:
    """Each text's perplexity under ``loaded`` (one padded forward pass)."""
    import torch

    limit = input_limit(loaded)
    encoded = [loaded.tokenizer(t, truncation=True, max_length=limit)["input_ids"] for t in texts]
    out: list[float | Failure | None] = [
        Failure("the text has fewer than two tokens: nothing to predict") if len(ids) < 2 else None
        for ids in encoded
    ]
    todo = [i for i, o in enumerate(out) if o is None]
    if todo:
        width = max(len(encoded[i]) for i in todo)
        input_ids = torch.zeros((len(todo), width), dtype=torch.long)
        mask = torch.zeros((len(todo), width), dtype=torch.long)
        for row, i in enumerate(todo):
            ids = encoded[i]
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
        logits = loaded.model(
            input_ids=input_ids.to(loaded.device), attention_mask=mask.to(loaded.device)
        ).logits.float()
        log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = input_ids[:, 1:].to(loaded.device)
        nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        scored = mask[:, 1:].to(loaded.device)
        losses = (nll * scored).sum(dim=1) / scored.sum(dim=1)
        for i, loss in zip(todo, losses.cpu(), strict=True):
            value = math.exp(float(loss))
            out[i] = value if math.isfinite(value) else Failure("perplexity is not finite")
    return [o for o in out if o is not None]


class _PerplexityScorer(ModelScorer):
    default_model = "gpt2"
    model_kind = "causal_lm"

    def scores(self, rows: list[Row], input_key: str) -> list[Any]:
        return self.score_all(texts_of(rows, input_key), perplexities)


class PerplexitySampleEvaluator(_PerplexityScorer, SampleEvaluator):
    """Writes each text's perplexity into ``output_key``.

    Differences from DataFlow: ``model_cache_dir`` and ``batch_size`` (keywords) are new
    (DataFlow scores one text at a time); ``device=None`` picks the GPU when there is one.
    """

    def __init__(
        self,
        model_name: str = "gpt2",
        device: str | None = None,
        *,
        model_cache_dir: str | None = None,
        batch_size: int = 8,
    ) -> None:
        self._set_model(model_name, device, model_cache_dir, batch_size)

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "PerplexityScore"
    ) -> list[Row | Failure]:
        return with_scores(rows, self.scores(rows, input_key), output_key)


class PerplexityFilter(_PerplexityScorer, Filter):
    """Keeps texts whose perplexity lies in ``[min_score, max_score]`` (DataFlow: 10 to 500:
    text too predictable, like boilerplate or repetition, goes, and so does gibberish)."""

    def __init__(
        self,
        min_score: float = 10.0,
        max_score: float = 500.0,
        model_name: str = "gpt2",
        device: str | None = None,
        *,
        model_cache_dir: str | None = None,
        batch_size: int = 8,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_name, device, model_cache_dir, batch_size)
        self.min_score, self.max_score = min_score, max_score

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "PerplexityScore"
    ) -> list[Any]:
        return keep_in_range(
            rows, self.scores(rows, input_key), output_key, self.min_score, self.max_score
        )
