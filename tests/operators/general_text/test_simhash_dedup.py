"""SimHashDeduplicateFilter: fingerprints, and decisions equal to an exact search over every
pair's Hamming distance, in memory and in the run store, across runs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from streamflow.operators.general_text.simhash_dedup import (
    SimHashDeduplicateFilter,
    SimHasher,
    hamming,
)
from streamflow.store.runstore import RunStore
from streamflow.store.state import StoreState
from streamflow.testing import apply


def brute_force(prints: list[bytes | None], limit: int) -> list[bool]:
    """Keep a row unless an earlier kept row lies within ``limit`` bits: every pair compared."""
    kept: list[bytes] = []
    out = []
    for fp in prints:
        if fp is None:
            out.append(True)
            continue
        dup = any(hamming(fp, k) <= limit for k in kept)
        out.append(not dup)
        if not dup:
            kept.append(fp)
    return out


def flipped(fp: bytes, n: int, rng: random.Random) -> bytes:
    value = int.from_bytes(fp, "little")
    for bit in rng.sample(range(len(fp) * 8), n):
        value ^= 1 << bit
    return value.to_bytes(len(fp), "little")


class FixedPrints(SimHashDeduplicateFilter):
    """Reads the fingerprint from the row (hex), to put rows at chosen distances."""

    def __init__(self, fingerprint_size: int = 64, bound: float = 0.1) -> None:
        super().__init__(fingerprint_size, bound)
        self.hasher.fingerprint = bytes.fromhex  # type: ignore[method-assign]


@pytest.mark.parametrize(("size", "bound"), [(64, 0.1), (64, 0.05), (64, 0.0), (128, 0.1)])
def test_index_search_equals_exact_hamming_search(size: int, bound: float) -> None:
    rng = random.Random(size * 100 + int(bound * 100))
    op = FixedPrints(size, bound)
    bases = [rng.randbytes(size // 8) for _ in range(60)]
    prints = []
    for _ in range(1500):  # near copies at every distance from 0 to 2k+2
        base = rng.choice(bases)
        prints.append(flipped(base, rng.randint(0, 2 * op.max_distance + 2), rng))
    rows = [{"text": fp.hex()} for fp in prints]
    expected = brute_force(prints, op.max_distance)
    got = []
    for start in range(0, len(rows), 97):  # batches of an odd size
        batch = range(start, min(start + 97, len(rows)))
        out = apply(op, [rows[i] for i in batch], [f"r{i}" for i in batch], input_key="text")
        kept = {int(i[1:]) for i in out.batch.ids}
        got.extend(i in kept for i in batch)
    assert got == expected
    assert 0 < sum(expected) < len(expected)  # both decisions occur


def test_text_fingerprints_and_decisions_match_brute_force() -> None:
    rng = random.Random(3)
    words = [f"w{i}x" for i in range(400)]
    texts = []
    for _ in range(300):
        if texts and rng.random() < 0.4:
            base = rng.choice(texts).split()
            for _ in range(rng.randint(0, 12)):
                base[rng.randrange(len(base))] = rng.choice(words)
            texts.append(" ".join(base))
        else:
            texts.append(" ".join(rng.choices(words, k=80)))
    op = SimHashDeduplicateFilter()
    prints = [op.hasher.fingerprint(t) for t in texts]
    out = apply(op, [{"text": t} for t in texts], input_key="text")
    kept = {int(i.split(":")[1]) for i in out.batch.ids}
    assert [i in kept for i in range(len(texts))] == brute_force(prints, 6)
    for dropped in out.dropped:
        assert "SimHash distance" in dropped.reason


def test_fingerprints_follow_similarity() -> None:
    h = SimHasher(64, 6)
    text = "The quick brown fox jumps over the lazy dog near the river bank " * 5
    assert h.fingerprint(text) == h.fingerprint(text.upper())  # case folded
    assert h.fingerprint(text) == h.fingerprint(text.replace(" ", "  "))  # only word chars
    near = text.replace("lazy", "sleepy", 1)
    other = "Completely unrelated words about databases, indexes and query planners. " * 5
    fp, fp_near, fp_other = (h.fingerprint(t) for t in (text, near, other))
    assert fp and fp_near and fp_other and len(fp) == 8
    assert hamming(fp, fp_near) < hamming(fp, fp_other)
    assert h.fingerprint("!!! ...") is None
    assert h.fingerprint("abc") is not None  # shorter than one window: one feature


def test_key_layout() -> None:
    assert len(SimHasher(64, 6).combinations) == 28  # 8 blocks of 8 bits, pairs
    assert len(SimHasher(64, 0).combinations) == 1  # exact: the whole fingerprint
    assert len(SimHasher(64, 3).combinations) == 4  # 4 blocks of 16 bits


def test_texts_without_words_are_kept() -> None:
    op = SimHashDeduplicateFilter()
    out = apply(op, [{"t": "..."}, {"t": "..."}, {"t": None}], input_key="t")
    assert len(out.batch.rows) == 3


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        SimHashDeduplicateFilter(fingerprint_size=60)
    with pytest.raises(ValueError, match="bound"):
        SimHashDeduplicateFilter(bound=0.7)


def test_the_index_persists_across_runs_and_replays(tmp_path: Path) -> None:
    texts = [" ".join(f"t{i}w{j}" for j in range(50)) for i in range(20)]
    first_rows = [{"text": t} for t in texts[:10]]
    store = RunStore(tmp_path / "s")
    op = SimHashDeduplicateFilter()
    op.open_state(StoreState(store, "fp"))
    ids = [f"a:{i}" for i in range(10)]
    assert len(apply(op, first_rows, ids, input_key="text").batch.rows) == 10
    # a replay of the same rows keeps them all again
    assert len(apply(op, first_rows, ids, input_key="text").batch.rows) == 10
    store.close()
    store = RunStore(tmp_path / "s")
    later = SimHashDeduplicateFilter()
    later.open_state(StoreState(store, "fp"))
    rows = [{"text": t + " extra"} for t in texts[5:15]]  # 5 copies of run one's rows, 5 new
    out = apply(later, rows, [f"b:{i}" for i in range(10)], input_key="text")
    assert [d.reason.split()[2] for d in out.dropped] == [f"a:{i}" for i in range(5, 10)]
    assert len(out.batch.rows) == 5
    store.close()
