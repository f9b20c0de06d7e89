"""KCenterGreedyFilter: greedy k-center picks spread-out points; per-batch selection."""

from __future__ import annotations

import numpy as np
import pytest

from streamflow.operators.core_text.kcenter_greedy_filter import (
    KCenterGreedyFilter,
    k_center_greedy,
)
from streamflow.serving.embeddings import LocalEmbeddingServing
from streamflow.testing import apply


def test_greedy_covers_the_clusters() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=np.float32)
    points = np.vstack([c + rng.normal(0, 0.1, (25, 2)) for c in centres]).astype(np.float32)
    chosen = k_center_greedy(points, 4)
    assert sorted(i // 25 for i in chosen) == [0, 1, 2, 3]  # one point per cluster
    assert k_center_greedy(points, 4) == chosen  # deterministic
    assert k_center_greedy(points[:3], 5) == [0, 1, 2] and k_center_greedy(points, 0) == []


def test_filter_keeps_one_text_per_topic() -> None:
    texts = [
        "The lighthouse lamp burned whale oil until 1902.",
        "The lighthouse lamp was switched to kerosene in 1902.",
        "Lentil soup needs onions, cumin and red lentils.",
        "Cook red lentils with onion and cumin for a soup.",
    ]
    op = KCenterGreedyFilter(num_samples=2, embedding_serving=LocalEmbeddingServing())
    out = apply(op, [{"content": t} for t in texts])
    kept = [r["content"] for r in out.batch.rows]
    assert len(kept) == 2 and sum("lentil" in k.lower() for k in kept) == 1
    assert all("most diverse" in d.reason for d in out.dropped)


def test_ratio_mode_and_the_per_batch_warning() -> None:
    op = KCenterGreedyFilter(
        num_samples=1, embedding_serving=LocalEmbeddingServing(), sampling_ratio=0.5
    )
    out = apply(op, [{"content": f"text number {i}"} for i in range(5)] + [{"content": 3}])
    assert len(out.batch.rows) == 3 and len(out.failed) == 1
    per_batch = KCenterGreedyFilter(num_samples=1, embedding_serving=LocalEmbeddingServing())
    apply(per_batch, [{"content": "a"}])
    with pytest.warns(UserWarning, match="batch_size"):
        apply(per_batch, [{"content": "b"}])
