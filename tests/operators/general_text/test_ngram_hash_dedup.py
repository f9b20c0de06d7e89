"""NgramHashDeduplicateFilter: decisions equal to DataFlow's loop over every kept row, with the
index claimed in memory or in the run store."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from streamflow.operators.general_text.ngram_hash_dedup import (
    NgramHashDeduplicateFilter,
    segments,
)
from streamflow.store.runstore import RunStore
from streamflow.store.state import StoreState
from streamflow.testing import apply


def dataflow_loop(texts: list[str], n_gram: int, diff_size: int) -> list[bool]:
    """DataFlow's algorithm, written out: every row against the hash sets of all kept rows."""
    seen: list[set[str]] = []
    out = []
    for text in texts:
        hashes = {hashlib.md5(s.encode()).hexdigest() for s in segments(text, n_gram)}
        keep = all(len(hashes & other) < diff_size for other in seen)
        out.append(keep)
        if keep:
            seen.append(hashes)
    return out


def test_segments_as_dataflow_cuts_them() -> None:
    assert segments("abcdefgh", 3) == ["ab", "cd", "ef"]  # the remainder "gh" is not compared
    assert segments("ab", 3) == ["ab"]  # shorter than n_gram: one segment
    assert segments("", 3) == [""]


@pytest.mark.parametrize(("n_gram", "diff_size"), [(3, 1), (3, 2), (5, 3), (4, 4)])
def test_decisions_equal_dataflows_loop(n_gram: int, diff_size: int) -> None:
    rng = random.Random(n_gram * 10 + diff_size)
    # texts built from a few distinct segments, so that they share 0..n_gram segments
    pieces = [f"<{rng.randrange(10**6):06d}>" for _ in range(12)]
    texts = ["".join(rng.choices(pieces, k=n_gram)) for _ in range(400)]
    op = NgramHashDeduplicateFilter(n_gram=n_gram, diff_size=diff_size)
    expected = dataflow_loop(texts, n_gram, diff_size)
    got: list[bool] = []
    for start in range(0, len(texts), 64):
        batch = range(start, min(start + 64, len(texts)))
        out = apply(
            op, [{"text": texts[i]} for i in batch], [f"r{i}" for i in batch], input_key="text"
        )
        kept = set(out.batch.ids)
        got.extend(f"r{i}" in kept for i in batch)
        for row in out.batch.rows:
            assert row["minhash_deduplicated_label"] == 1
    assert got == expected
    assert 0 < sum(expected) < len(expected)


def test_reason_names_the_kept_row_and_segments_are_a_set() -> None:
    op = NgramHashDeduplicateFilter(n_gram=3, diff_size=2)
    out = apply(op, [{"t": "aaabbbccc"}, {"t": "aaazzzyyy"}, {"t": "cccaaaqqq"}], input_key="t")
    assert out.batch.ids == ["row:0", "row:1"]  # row 1 shares one segment with row 0...
    assert out.dropped[0].reason.startswith("duplicate of row:0")  # ...row 2 two, moved


def test_input_keys_are_joined() -> None:
    op = NgramHashDeduplicateFilter()
    rows = [{"q": "x" * 30, "a": "y" * 30}, {"q": "x" * 30, "a": "z" * 30}]
    out = apply(op, rows, input_keys=["q", "a"])
    assert len(out.dropped) == 1  # the first segment ("q:\nxxx...") is shared


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="hash_func"):
        NgramHashDeduplicateFilter(hash_func="crc")
    with pytest.raises(ValueError, match="diff_size"):
        NgramHashDeduplicateFilter(n_gram=3, diff_size=4)
    with pytest.raises(ValueError, match="index keys"):
        NgramHashDeduplicateFilter(n_gram=40, diff_size=20)


def test_later_runs_dedup_against_earlier_ones(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "s")
    op = NgramHashDeduplicateFilter()
    op.open_state(StoreState(store, "fp"))
    assert len(apply(op, [{"t": "alpha beta gamma"}], ["a:0"], input_key="t").batch.rows) == 1
    store.close()
    store = RunStore(tmp_path / "s")
    op = NgramHashDeduplicateFilter()
    op.open_state(StoreState(store, "fp"))
    out = apply(op, [{"t": "alpha beta gamma"}, {"t": "delta"}], ["b:0", "b:1"], input_key="t")
    assert out.batch.ids == ["b:1"] and "a:0" in out.dropped[0].reason
    store.close()
