"""HashDeduplicateFilter: duplicates within and across batches, keys, hashes, normalisation."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from streamflow.operators.general_text import HashDeduplicateFilter
from streamflow.operators.general_text.hash_deduplicate_filter import normalized
from streamflow.operators.registry import OPERATORS
from streamflow.rows import current_row_ids
from streamflow.store.state import MemoryState
from streamflow.testing import apply


def verdicts_of(op: HashDeduplicateFilter, rows: list[dict], **keys: Any) -> list[Any]:
    token = current_row_ids.set([f"r{i}" for i in range(len(rows))])
    try:
        return op.process(rows, **keys)
    finally:
        current_row_ids.reset(token)


def kept(verdicts: list[Any]) -> list[bool]:
    return [v if isinstance(v, bool) else v[0] for v in verdicts]


def claimed(op: HashDeduplicateFilter, digest: bytes, by: str = "probe") -> str | None:
    token = current_row_ids.set([by])
    try:
        return op.state.claim([digest])[0]
    finally:
        current_row_ids.reset(token)


def test_registered_as_stateful_general_filter() -> None:
    info = OPERATORS.info("HashDeduplicateFilter")
    assert (info.kind, info.domain, info.stateful) == ("filter", "general_text", True)
    assert [k.name for k in info.keys] == ["input_keys", "input_key", "output_key"]
    with pytest.raises(ValueError, match="stateful"):
        HashDeduplicateFilter().options(workers=2)


def test_duplicates_within_one_batch() -> None:
    op = HashDeduplicateFilter()
    rows = [{"text": t} for t in ["a", "b", "a", "a", "c", "b"]]
    verdicts = verdicts_of(op, rows, input_key="text")
    assert kept(verdicts) == [True, True, False, False, True, False]
    short = hashlib.md5(b"a").hexdigest()[:12]
    assert verdicts[2] == (False, f"duplicate of r0 (hash {short})")
    assert [r.get("minhash_deduplicated_label") for r in rows] == [1, 1, None, None, 1, None]


def test_duplicates_across_batches_and_through_outcome() -> None:
    op = HashDeduplicateFilter(hash_func="xxh3")
    apply(op, [{"text": "x"}, {"text": "y"}], ids=["r0", "r1"], input_key="text")
    out = apply(
        op, [{"text": "y"}, {"text": "z"}, {"text": "x"}], ids=["r2", "r3", "r4"], input_key="text"
    )
    assert out.batch.ids == ["r3"]
    assert [d.id for d in out.dropped] == ["r2", "r4"]
    assert all(d.operator == "HashDeduplicateFilter" for d in out.dropped)
    assert [d.reason.split(" (")[0] for d in out.dropped] == ["duplicate of r1", "duplicate of r0"]


def test_a_replayed_row_is_not_its_own_duplicate() -> None:
    """After a crash, a resumed run re-reads rows: the row that owns a digest stays kept."""
    op = HashDeduplicateFilter()
    apply(op, [{"t": "a"}, {"t": "b"}], ids=["r0", "r1"], input_key="t")
    again = apply(op, [{"t": "b"}, {"t": "a"}], ids=["r1", "r2"], input_key="t")
    assert again.batch.ids == ["r1"] and [d.id for d in again.dropped] == ["r2"]


@pytest.mark.parametrize("hash_func", ["md5", "sha256", "xxh3", "blake2b"])
def test_every_hash_function(hash_func: str) -> None:
    op = HashDeduplicateFilter(hash_func=hash_func)
    texts = ["same", "other", "same", "中文", "中文 "]
    verdicts = verdicts_of(op, [{"t": t} for t in texts], input_key="t")
    assert kept(verdicts) == [True, True, False, True, True]


def test_unknown_hash_function() -> None:
    with pytest.raises(ValueError, match=r"HashDeduplicateFilter.*md5, sha256, xxh3"):
        HashDeduplicateFilter(hash_func="crc32")


def test_normalize_ignores_case_spacing_and_width() -> None:
    rows = [
        {"t": t} for t in ["Hello  World", "hello world\n", " HELLO WORLD ", "ｈｅｌｌｏ world"]
    ]
    verdicts = verdicts_of(HashDeduplicateFilter(normalize=True), rows, input_key="t")
    assert kept(verdicts) == [True, False, False, False]
    fresh = [{"t": r["t"]} for r in rows]
    assert kept(verdicts_of(HashDeduplicateFilter(), fresh, input_key="t")) == [True] * 4
    assert normalized("Ａ  b\tC") == "a b c"


def test_multiple_keys_are_hashed_together() -> None:
    rows = [
        {"q": "1+1?", "a": "2", "note": "x"},
        {"q": "1+1?", "a": "3", "note": "x"},
        {"q": "1+1?", "a": "2", "note": "y"},
        {"q": "1+1", "a": "?\n2", "note": "z"},  # same characters, split differently
    ]
    op = HashDeduplicateFilter()
    assert kept(verdicts_of(op, rows, input_keys=["q", "a"])) == [True, True, False, True]
    # DataFlow's joining: the digest of several keys is md5 of their "key:\nvalue" lines.
    assert claimed(op, hashlib.md5(b"q:\n1+1?\na:\n2").digest()) == "r0"


def test_one_key_in_input_keys_is_that_key_alone() -> None:
    op = HashDeduplicateFilter()
    verdicts_of(op, [{"t": "abc"}], input_keys=["t"])
    assert claimed(op, hashlib.md5(b"abc").digest()) == "r0"


def test_non_string_values_are_hashed_as_canonical_json() -> None:
    rows: list[dict[str, Any]] = [
        {"m": {"a": 1, "b": [1, 2]}},
        {"m": {"b": [1, 2], "a": 1}},
        {"m": {"a": 2}},
    ]
    assert kept(verdicts_of(HashDeduplicateFilter(), rows, input_key="m")) == [True, False, True]


def test_none_is_an_empty_text() -> None:
    rows: list[dict[str, Any]] = [{"m": ""}, {"m": None}, {"m": "null"}]
    assert kept(verdicts_of(HashDeduplicateFilter(), rows, input_key="m")) == [True, False, True]


def test_key_errors_name_the_operator_and_leave_state_untouched() -> None:
    op = HashDeduplicateFilter()
    with pytest.raises(KeyError, match=r"HashDeduplicateFilter.*'text'"):
        verdicts_of(op, [{"text": "a"}, {"body": "b"}], input_key="text")
    # "a" was not recorded: a later row with it is the first
    assert kept(verdicts_of(op, [{"text": "a"}], input_key="text")) == [True]
    assert claimed(op, hashlib.md5(b"a").digest()) == "r0"
    with pytest.raises(ValueError, match="either input_key or a non-empty input_keys"):
        op.process([{"text": "a"}])
    with pytest.raises(ValueError, match="either input_key"):
        op.process([{"text": "a"}], input_key="text", input_keys=["text"])
    with pytest.raises(ValueError, match="non-empty"):
        op.process([{"text": "a"}], input_keys=[])


def test_output_key_none_writes_nothing() -> None:
    rows = [{"t": "a"}]
    verdicts_of(HashDeduplicateFilter(), rows, input_key="t", output_key=None)
    assert rows == [{"t": "a"}]


def test_state_is_pluggable() -> None:
    """The runtime hands the filter its state (LMDB-backed in a run directory)."""
    op = HashDeduplicateFilter()
    shared = MemoryState()
    op.open_state(shared)
    verdicts_of(op, [{"t": "x"}], input_key="t")
    other = HashDeduplicateFilter()
    other.open_state(shared)
    assert kept(verdicts_of(other, [{"t": "x"}], input_key="t")) == [True]  # same id r0 owns it
    token = current_row_ids.set(["r9"])
    try:
        assert other.process([{"t": "x"}], input_key="t") == [
            (False, f"duplicate of r0 (hash {hashlib.md5(b'x').hexdigest()[:12]})")
        ]
    finally:
        current_row_ids.reset(token)
