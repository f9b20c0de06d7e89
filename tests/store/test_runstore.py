"""The LMDB run store: map growth, idempotent claims and records, read-only views."""

from __future__ import annotations

import subprocess
import sys

import pytest

import streamflow.store.runstore as runstore
from streamflow.store.runstore import RunStore


def test_map_grows_on_demand(tmp_path, monkeypatch):
    monkeypatch.setattr(runstore, "INITIAL_MAP_SIZE", 1 << 20)
    store = RunStore(tmp_path / "s")
    assert store.map_size == 1 << 20
    blob = {"text": "x" * 10_000}
    for chunk in range(40):  # ~4 MB of results into a 1 MB map
        store.put_results("step", [(f"{chunk}:{i}", blob) for i in range(10)])
    assert store.map_size >= 4 << 20
    assert store.get_results("step", ["39:9", "nope"]) == [blob, None]
    store.close()


def test_claims_are_idempotent_per_row(tmp_path):
    from streamflow.rows import current_row_ids
    from streamflow.store.state import StoreState

    store = RunStore(tmp_path / "s")
    state = StoreState(store, "dedup")
    token = current_row_ids.set(["a", "b", "c"])
    try:
        assert state.claim([b"k1", b"k2", b"k1"]) == [None, None, "a"]
    finally:
        current_row_ids.reset(token)
    assert store.claim("dedup", [b"k1", b"k2"], ["a", "z"]) == [None, "b"]
    assert store.claim("other-step", [b"k1"], ["z"]) == [None]  # namespaced by step
    store.close()


def test_records_keyed_by_step_and_row(tmp_path):
    store = RunStore(tmp_path / "s")
    store.add_records("deadletters", [("Op", "r1", {"e": 1}), ("Op", "r2", {"e": 2})])
    store.add_records("deadletters", [("Op", "r1", {"e": 3})])  # a replayed row
    assert store.count("deadletters") == 2
    assert list(store.records("deadletters")) == [{"e": 3}, {"e": 2}]
    store.close()


def test_readers_in_another_process_see_a_live_writer(tmp_path):
    store = RunStore(tmp_path / "s")
    store.put_meta(progress={"rows": 41})
    read = (
        "from pathlib import Path; from streamflow.store.runstore import RunStore; "
        f"print(RunStore(Path({str(tmp_path / 's')!r}), readonly=True).get_meta('progress'))"
    )
    out = subprocess.run([sys.executable, "-c", read], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{'rows': 41}"
    store.close()


def test_a_failed_transaction_leaves_the_store_as_it_was(tmp_path):
    store = RunStore(tmp_path / "s")
    store.put_results("step", [("r1", {"v": 1})])

    class Boom(Exception):
        pass

    def put_then_fail(txn):
        txn.put(b"step\x00r2", b"x", db=store._dbs["results"])
        raise Boom

    with pytest.raises(Boom):
        store._write(put_then_fail)
    assert store.get_results("step", ["r1", "r2"]) == [{"v": 1}, None]
    store.close()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 3 MiB tmpfs (needs root and mount rights; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_gives_a_clear_error_and_keeps_what_was_committed(tiny_disk, monkeypatch):
    from streamflow.store.runstore import StoreFullError

    monkeypatch.setattr(runstore, "INITIAL_MAP_SIZE", 1 << 20)
    store = RunStore(tiny_disk / "s")
    store.put_results("a", [("keep", {"v": 1})])
    with pytest.raises(StoreFullError, match="the disk is full") as info:
        for chunk in range(1000):
            store.put_results("step", [(f"{chunk}:{i}", {"t": "x" * 10_000}) for i in range(10)])
    assert "--resume" in str(info.value)
    assert store.get_results("a", ["keep"]) == [{"v": 1}]
    store.close()
