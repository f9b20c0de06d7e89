"""QuRating: four qualities of a text, rated by princeton-nlp's QuRater model.

``princeton-nlp/QuRater-1.3B`` is a LLaMA-architecture sequence classifier with one output per
quality (by default writing style, required expertise, facts and trivia, educational value),
trained on pairwise judgements, so the values are relative (higher means more of the quality).
As in QuRating's annotation script, which DataFlow runs: a text is tokenized without special
tokens, cut into chunks of 512 tokens, every chunk is scored (chunks batched
``device_batch_size`` at a time, shortest together, padding with id 0 and the last real token
pooled), and a quality's score is the chunks' average weighted by their token counts.

Outputs: ``Qurating<Label>Score`` per label (``QuratingWritingStyleScore``, ...), as DataFlow
names them. ``map_batch_size`` and ``num_workers`` were DataFlow's ``datasets.map`` settings;
they are accepted and unused (the runtime batches rows).
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_pt._scoring import texts_of
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelLoadError, ModelScorer
from streamflow.rows import Failure, Row

__all__ = ["QuratingFilter", "QuratingSampleEvaluator", "score_key"]

DEFAULT_LABELS = ["writing_style", "required_expertise", "facts_and_trivia", "educational_value"]
CHUNK_TOKENS = 512


def score_key(label: str) -> str:
    """The field of a label's score: ``writing_style`` -> ``QuratingWritingStyleScore``."""
    return f"Qurating{''.join(word.capitalize() for word in label.split('_'))}Score"


class _QuratingScorer(ModelScorer):
    default_model = "princeton-nlp/QuRater-1.3B"
    model_kind = "sequence_classification"
    labels: list[str]
    chunk_tokens: int

    def _configure(
        self,
        labels: list[str] | None,
        device: str | None,
        model_cache_dir: str | None,
        device_batch_size: int,
        model_name_or_path: str | None,
        chunk_tokens: int,
    ) -> None:
        self.labels = list(labels or DEFAULT_LABELS)
        if not self.labels:
            raise ValueError(f"{type(self).__name__}: labels must not be empty")
        if chunk_tokens < 1:
            raise ValueError(f"{type(self).__name__}: chunk_tokens must be >= 1")
        self.chunk_tokens = chunk_tokens
        self._set_model(model_name_or_path, device, model_cache_dir, device_batch_size)

    def prepare(self, loaded: LoadedModel) -> None:
        labels = loaded.model.config.num_labels
        if labels != len(self.labels):
            raise ModelLoadError(
                f"the model rates {labels} qualities but {len(self.labels)} labels were given "
                f"({', '.join(self.labels)})"
            )
        loaded.model.config.pad_token_id = 0

    def ratings(self, rows: list[Row], input_key: str) -> list[dict[str, float] | Failure]:
        texts = texts_of(rows, input_key)
        todo = [i for i, t in enumerate(texts) if not isinstance(t, Failure)]
        out: list[dict[str, float] | Failure] = [
            t if isinstance(t, Failure) else Failure("not scored") for t in texts
        ]
        if not todo:
            return out
        try:
            loaded = self.loaded()
        except ModelLoadError as exc:
            return [t if isinstance(t, Failure) else Failure(str(exc)) for t in texts]
        import torch

        chunks: list[tuple[int, list[int]]] = []  # (row index, token ids)
        for i in todo:
            ids = loaded.tokenizer(texts[i], add_special_tokens=False)["input_ids"]
            if not ids:
                out[i] = Failure(f"field {input_key!r} has no tokens")
            for start in range(0, len(ids), self.chunk_tokens):
                chunks.append((i, ids[start : start + self.chunk_tokens]))
        scores = torch.zeros((len(chunks), len(self.labels)), dtype=torch.float32)
        order = sorted(range(len(chunks)), key=lambda c: len(chunks[c][1]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                width = max(len(chunks[c][1]) for c in batch)
                input_ids = torch.zeros((len(batch), width), dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, c in enumerate(batch):
                    ids = chunks[c][1]
                    input_ids[row, : len(ids)] = torch.tensor(ids)
                    mask[row, : len(ids)] = 1
                logits = loaded.model(
                    input_ids=input_ids.to(loaded.device),
                    attention_mask=mask.to(loaded.device),
                    use_cache=False,
                ).logits
                scores[batch] = logits.float().cpu()
        totals: dict[int, tuple[Any, int]] = {}
        for (i, ids), score in zip(chunks, scores, strict=True):
            weighted, count = totals.get(i, (0.0, 0))
            totals[i] = (weighted + score * len(ids), count + len(ids))
        for i, (weighted, count) in totals.items():
            average = weighted / count
            out[i] = {score_key(label): float(average[k]) for k, label in enumerate(self.labels)}
        return out


class QuratingSampleEvaluator(_QuratingScorer, SampleEvaluator):
    """Writes one ``Qurating<Label>Score`` field per label (see the module docstring).

    Differences from DataFlow: ``model_name_or_path`` and ``chunk_tokens`` (keywords) replace
    the fixed QuRater-1.3B and 512; ``device=None`` picks the GPU when there is one; the hook's
    ``output_key`` (unused by DataFlow too) is accepted and ignored.
    """

    def __init__(
        self,
        map_batch_size: int = 512,
        num_workers: int = 1,
        device_batch_size: int = 16,
        device: str | None = None,
        labels: list[str] | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        *,
        model_name_or_path: str | None = None,
        chunk_tokens: int = CHUNK_TOKENS,
    ) -> None:
        self.map_batch_size, self.num_workers = map_batch_size, num_workers
        self._configure(
            labels, device, model_cache_dir, device_batch_size, model_name_or_path, chunk_tokens
        )

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str | None = None
    ) -> list[Row | Failure]:
        return [
            r if isinstance(r, Failure) else {**row, **r}
            for row, r in zip(rows, self.ratings(rows, input_key), strict=True)
        ]


class QuratingFilter(_QuratingScorer, Filter):
    """Keeps texts whose every label's score lies in ``[min_scores[label], max_scores[label]]``
    (DataFlow: 0 to 9 for each); writes the scores and ``<label>_label`` = 1 per checked label
    (DataFlow writes 0 on the rows it then drops; here a dropped row's reason names the label)."""

    def __init__(
        self,
        min_scores: dict[str, float] | None = None,
        max_scores: dict[str, float] | None = None,
        map_batch_size: int = 512,
        num_workers: int = 1,
        device_batch_size: int = 16,
        device: str | None = None,
        labels: list[str] | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        *,
        model_name_or_path: str | None = None,
        chunk_tokens: int = CHUNK_TOKENS,
    ) -> None:
        self.map_batch_size, self.num_workers = map_batch_size, num_workers
        self._configure(
            labels, device, model_cache_dir, device_batch_size, model_name_or_path, chunk_tokens
        )
        self.min_scores = dict(
            min_scores if min_scores is not None else dict.fromkeys(DEFAULT_LABELS, 0)
        )
        self.max_scores = dict(
            max_scores if max_scores is not None else dict.fromkeys(DEFAULT_LABELS, 9)
        )
        unknown = sorted((set(self.min_scores) | set(self.max_scores)) - set(self.labels))
        if unknown:
            raise ValueError(f"{self.name}: no such label to filter on: {', '.join(unknown)}")
        missing = sorted(set(self.min_scores) ^ set(self.max_scores))
        if missing:
            raise ValueError(f"{self.name}: min_scores and max_scores differ on {missing}")

    def process(self, rows: list[Row], input_key: str = "raw_content") -> list[Any]:
        verdicts: list[Any] = []
        for row, rating in zip(rows, self.ratings(rows, input_key), strict=True):
            if isinstance(rating, Failure):
                verdicts.append(rating)
                continue
            row.update(rating)
            outside = []
            for label, low in self.min_scores.items():
                value, high = rating[score_key(label)], self.max_scores[label]
                if low <= value <= high:
                    row[f"{label}_label"] = 1
                else:
                    outside.append(f"{label} {value:.3g} outside [{low:g}, {high:g}]")
            verdicts.append((False, "; ".join(outside)) if outside else True)
        return verdicts
