"""OperatorState.claim_all, in memory and in the run store: several keys per row, in order,
with values and a check of each candidate; idempotent under replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import streamflow.store.runstore as runstore
from streamflow.rows import current_row_ids
from streamflow.store.runstore import RunStore
from streamflow.store.state import MemoryState, OperatorState, StoreState


@pytest.fixture(params=["memory", "store"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OperatorState]:
    if request.param == "memory":
        yield MemoryState()
        return
    store = RunStore(tmp_path / "s")
    yield StoreState(store, "step")
    store.close()


def claim_all(state: OperatorState, ids: list[str], keys: list[list[bytes]], **kw: Any) -> Any:
    token = current_row_ids.set(ids)
    try:
        return state.claim_all(keys, **kw)
    finally:
        current_row_ids.reset(token)


def test_rows_are_decided_in_order(state: OperatorState) -> None:
    keys = [[b"x1", b"x2"], [b"y1", b"x2"], [b"y1", b"z"], [], [b"z", b"w"]]
    values = [b"va", b"vb", b"vc", None, b"ve"]
    owners = claim_all(state, list("abcde"), keys, values=values)
    assert owners == [None, "a", None, None, "c"]
    # a duplicate claims nothing: y1 went to c, not to b
    assert claim_all(state, ["probe"], [[b"y1"]]) == ["c"]
    assert state.get_values(["a", "b", "c", "d", "e", "nope"]) == [b"va", None, b"vc"] + [None] * 3


def test_replayed_rows_decide_as_before(state: OperatorState) -> None:
    keys = [[b"k1", b"k2"], [b"k2", b"k3"], [b"k3"]]
    first = claim_all(state, ["a", "b", "c"], keys, values=[b"1", b"2", b"3"])
    assert first == [None, "a", None]
    assert claim_all(state, ["a", "b", "c"], keys, values=[b"1", b"2", b"3"]) == first
    assert claim_all(state, ["c", "b"], [keys[2], keys[1]]) == [None, "a"]  # in another order


def test_a_rejected_candidate_leads_to_the_next(state: OperatorState) -> None:
    claim_all(state, ["a", "b"], [[b"k1"], [b"k2"]], values=[b"A", b"B"])
    seen: list[tuple[int, str, bytes | None]] = []

    def is_duplicate(i: int, owner: str, value: bytes | None) -> bool:
        seen.append((i, owner, value))
        return value == b"B"

    owners = claim_all(
        state,
        ["c", "d"],
        [[b"k1", b"k1b", b"k2"], [b"k1", b"k3"]],
        values=[b"C", b"D"],
        is_duplicate=is_duplicate,
    )
    assert owners == ["b", None]
    assert seen == [(0, "a", b"A"), (0, "b", b"B"), (1, "a", b"A")]
    # d is no duplicate of a: it claimed its free key k3, not k1; c claimed nothing
    assert claim_all(state, ["p", "q", "r"], [[b"k3"], [b"k1"], [b"k1b"]]) == ["d", "a", None]


def test_claim_and_claim_all_share_their_keys(state: OperatorState) -> None:
    token = current_row_ids.set(["a"])
    try:
        assert state.claim([b"k"]) == [None]
    finally:
        current_row_ids.reset(token)
    assert claim_all(state, ["b"], [[b"j", b"k"]]) == ["a"]


def test_claim_all_survives_map_growth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full map aborts the transaction and retries it whole: decisions are unchanged."""
    monkeypatch.setattr(runstore, "INITIAL_MAP_SIZE", 1 << 20)
    store = RunStore(tmp_path / "s")

    def never(i: int, owner: str, value: bytes | None) -> bool:
        return False

    for batch in range(4):  # ~3 MB of values into a 1 MB map
        ids = [f"{batch}:{i}" for i in range(300)]
        keys = [[f"{batch}:{i}".encode(), b"shared"] for i in range(300)]
        assert store.claim_all("s", keys, ids, [b"v" * 2500] * 300, never) == [None] * 300
    assert store.map_size > 1 << 20
    assert store.get_values("s", ["3:299", "4:0"]) == [b"v" * 2500, None]
    assert store.claim_all("s", [[b"shared"]], ["x"]) == ["0:0"]
    store.close()


# -- match_or_add: buckets that hold every kept row ---------------------------------------------


def match_or_add(state: OperatorState, ids: list[str], keys: list[list[bytes]], **kw: Any) -> Any:
    token = current_row_ids.set(ids)
    try:
        return state.match_or_add(keys, **kw)
    finally:
        current_row_ids.reset(token)


def entries(contents: list[bytes], size: int) -> list[tuple[int, bytes]]:
    """The (ordinal, record) entries of buckets whose records are ``size`` bytes long."""
    joined = b"".join(contents)
    step = 8 + size
    return [
        (int.from_bytes(joined[j : j + 8], "little"), joined[j + 8 : j + step])
        for j in range(0, len(joined), step)
    ]


def test_a_bucket_holds_every_kept_row(state: OperatorState) -> None:
    # Under one key "k", rows a, b, c all add themselves (a key owner would hide b and c).
    seen: list[list[bytes]] = []

    def find(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        found = entries(contents, 1)
        seen.append([record for _, record in found])
        return next((o for o, record in found if record == b"X"), None)

    ids = ["a", "b", "c", "d"]
    records: list[bytes | None] = [b"A", b"B", b"C", b"X"]
    out = match_or_add(state, ids, [[b"k"]] * 4, records=records, find=find)
    assert out == [None, None, None, None]  # no earlier X: all kept
    assert seen == [[b"A"], [b"A", b"B"], [b"A", b"B", b"C"]]  # every kept row, in order
    # a later row matches the fourth kept row by its record, and is told its id
    assert match_or_add(state, ["e"], [[b"k"]], records=[b"Y"], find=find) == ["d"]


def test_match_or_add_is_idempotent_under_replay(state: OperatorState) -> None:
    def find(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        found = entries(contents, 1)
        return found[0][0] if found else None

    first = match_or_add(state, ["a", "b"], [[b"k"], [b"k"]], records=[b"1", b"2"], find=find)
    assert first == [None, "a"]
    again = match_or_add(state, ["a", "b"], [[b"k"], [b"k"]], records=[b"1", b"2"], find=find)
    assert again == first


def test_insert_keys_differ_from_lookup_keys(state: OperatorState) -> None:
    def find(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        found = entries(contents, 1)
        return found[0][0] if found else None

    out = match_or_add(
        state,
        ["a", "b", "c"],
        [[b"q"], [b"q"], [b"i"]],
        records=[b"1", b"2", b"3"],
        find=find,
        insert_keys=[[b"i"], [b"i"], [b"j"]],
    )
    assert out == [None, None, "a"]  # a and b looked in q (empty) and added to i


def test_a_row_without_a_record_is_kept_and_not_added(state: OperatorState) -> None:
    def find(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        found = entries(contents, 1)
        return found[0][0] if found else None

    out = match_or_add(state, ["a", "b"], [[b"k"], [b"k"]], records=[None, b"2"], find=find)
    assert out == [None, None]


def test_large_buckets_span_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runstore, "BUCKET_CHUNK", 64)
    store = RunStore(tmp_path / "s")
    state = StoreState(store, "step")
    sizes: list[int] = []

    def find(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        sizes.append(len(entries(contents, 4)))
        return None

    ids = [f"r{i}" for i in range(40)]
    match_or_add(state, ids, [[b"k"]] * 40, records=[b"%04d" % i for i in range(40)], find=find)
    assert sizes == list(range(1, 40))  # the first row sees an empty bucket: find not called
    seen: list[list[tuple[int, bytes]]] = []

    def collect(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        seen.append(entries(contents, 4))
        return None

    match_or_add(state, ["probe"], [[b"k"]], records=[None], find=collect)
    assert seen[0] == [(i, b"%04d" % i) for i in range(40)]
    store.close()


def test_payloads_are_stored_once_and_read_by_ordinal(state: OperatorState) -> None:
    read: list[bytes | None] = []

    def find(i: int, contents: list[bytes], payload_of: Any) -> int | None:
        found = entries(contents, 0)
        read.extend(payload_of(o) for o, _ in found)
        return next((o for o, _ in found if payload_of(o) == b"A" * 100), None)

    out = match_or_add(
        state,
        ["a", "b", "c"],
        [[b"k1", b"k2"], [b"k1", b"k2"], [b"k2"]],
        records=[b"", b"", b""],
        find=find,
        payloads=[b"B" * 100, b"A" * 100, None],
    )
    assert out == [None, None, "b"]
    assert read == [b"B" * 100, b"B" * 100, b"B" * 100, b"A" * 100]
