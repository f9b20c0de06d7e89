"""What the text_pt model scorers share: reading the text field, encoding a batch, writing scores.

The scorers are DataFlow's pre-training quality models (DeBERTa-v3 quality classifier,
FineWeb-Edu, PairQual, perplexity, QuRating). Each is a :class:`ModelScorer` (text_sft's base):
the model loads on first use in the worker thread, rows go through it ``batch_size`` at a time
under ``torch.inference_mode``, results are kept in the run store (``expensive``) so a resumed
run never scores a row twice. A row whose text field is missing or blank fails alone, with the
field named; a model that cannot be loaded fails every row with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamflow.operators.text_sft.model_scorer import LoadedModel
from streamflow.operators.text_sft.score_filter import text_field
from streamflow.rows import Failure, Row

__all__ = ["encode", "input_limit", "texts_of", "with_scores"]


def texts_of(rows: Sequence[Row], key: str) -> list[str | Failure]:
    """Each row's ``key`` field as text, or a failure naming the field when it is empty."""
    return [text_field(row, key) for row in rows]


def input_limit(loaded: LoadedModel, max_length: int | None = None) -> int:
    """How many tokens one input may hold: ``max_length`` if given, else the smaller of the
    tokenizer's and the model's limits (tokenizers saved without one report a huge number)."""
    limits = [int(loaded.tokenizer.model_max_length)]
    positions = getattr(loaded.model.config, "max_position_embeddings", None)
    if positions:
        limits.append(int(positions))
    if max_length is not None:
        limits.append(max_length)
    return min(limits)


def encode(loaded: LoadedModel, texts: list[str], max_length: int | None = None) -> Any:
    """A padded, truncated batch of ``texts`` on the model's device."""
    return loaded.tokenizer(
        texts,
        return_tensors="pt",
        padding=True,
        truncation=True,
        max_length=input_limit(loaded, max_length),
    ).to(loaded.device)


def with_scores(rows: Sequence[Row], scores: Sequence[Any], output_key: str) -> list[Row | Failure]:
    """Each row with its score under ``output_key``; a failed score fails the row."""
    return [
        s if isinstance(s, Failure) else {**row, output_key: s}
        for row, s in zip(rows, scores, strict=True)
    ]
