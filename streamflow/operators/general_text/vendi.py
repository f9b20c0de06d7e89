"""Dataset diversity as the Vendi Score (Friedman and Dieng 2023; DataFlow's
``VendiDatasetEvaluator``): the exponential of the Shannon entropy of the eigenvalues of the
similarity matrix ``K / n`` of the texts' normalised embeddings, an "effective number of
distinct texts" between 1 (all alike) and ``n``.

Streaming, in memory that does not grow with the data: ``K = X X^T`` has the same non-zero
eigenvalues as ``X^T X``, a ``d x d`` matrix (384 x 384 for MiniLM) that is a sum over rows, so
the evaluator adds each batch's ``X^T X`` and decomposes the sum once at the end (the
``vendi_score`` package's ``score_dual``). The sum and the count are its state, saved at each
checkpoint so a resumed run goes on from them.

Embeddings: DataFlow takes the pooled outputs of bert-base-uncased and of SimCSE (downloaded)
and reports one score for each (``BERTVendiScore``, ``SimCSEVendiScore``). Here ``models`` maps a
name to a sentence-transformers model (default: the packaged all-MiniLM-L6-v2) and the report
holds ``<name>VendiScore`` for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from streamflow.actors.base import DatasetEvaluator
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._models import (
    MINILM,
    in_model_thread,
    pick_device,
    sentence_encoder,
)
from streamflow.rows import Row

__all__ = ["VendiDatasetEvaluator", "vendi_from_gram"]

F64 = npt.NDArray[np.float64]


def vendi_from_gram(gram: F64, n: int) -> float:
    """The Vendi Score of ``n`` unit vectors whose ``X^T X`` is ``gram``."""
    if n == 0:
        return 0.0
    eigenvalues = np.linalg.eigvalsh(gram / n)
    p = eigenvalues[eigenvalues > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


class VendiDatasetEvaluator(DatasetEvaluator):
    """Reports the Vendi Score of ``input_key`` over the whole stream, per embedding model.

    ``device`` as in DataFlow (the CPU when no GPU is there); ``models`` and ``batch_size`` are
    ours (module docstring).
    """

    def __init__(
        self,
        device: str = "cuda",
        models: dict[str, str] | None = None,
        batch_size: int = 64,
    ) -> None:
        self.device = pick_device(device)
        self.models = dict(models) if models is not None else {"MiniLM": MINILM}
        self.batch_size = batch_size
        self._encoders: dict[str, Any] = {}
        if type(self).embed is VendiDatasetEvaluator.embed:  # a subclass may bring its own
            self._encoders = {n: sentence_encoder(m, self.device) for n, m in self.models.items()}
        self.count = 0
        self.grams: dict[str, F64] = {}

    def embed(self, name: str, texts: Sequence[str]) -> F64:
        """Unit-length embeddings of ``texts`` by model ``name``."""
        vectors = in_model_thread(
            lambda: self._encoders[name].encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )
        return np.asarray(vectors, dtype=np.float64)

    def observe(self, rows: list[Row], input_key: str = "text") -> None:
        texts = [text_field(self.name, row, input_key) for row in rows]
        if not texts:
            return
        for name in self.models:
            x = self.embed(name, texts)
            x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
            gram = x.T @ x
            self.grams[name] = self.grams[name] + gram if name in self.grams else gram
        self.count += len(texts)

    def report(self) -> dict[str, Any]:
        scores = {
            f"{name}VendiScore": vendi_from_gram(self.grams[name], self.count)
            if name in self.grams
            else 0.0
            for name in self.models
        }
        return {**scores, "rows": self.count}

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "grams": {k: v.tolist() for k, v in self.grams.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count = int(state["count"])
        self.grams = {k: np.asarray(v, dtype=np.float64) for k, v in state["grams"].items()}
