"""The run store: one LMDB environment per run directory.

It holds what a killed run needs to resume without redoing committed work, and what
``streamflow status`` shows while a run is live or after it ended:

- ``meta``: the run manifest (step fingerprints, output path), the last checkpoint, live progress;
- ``results``: an expensive operator's per-row results, keyed by step fingerprint and row id;
- ``state``: operator state (dedup keys and their owners, values such as MinHash signatures
  stored beside them), keyed by step fingerprint;
- ``deadletters`` and ``dropped``: keyed by step and row id, so a replayed row is recorded once.

Every method is blocking and thread-safe; the runtime calls them from worker threads, a batch at
a time, one write transaction per call. Writes are not fsynced one by one (a killed process
loses nothing the OS already has); :meth:`commit_checkpoint` syncs, and it is the only record
whose durability matters for exactness. The map grows on demand; a full disk raises
:class:`StoreFullError` and leaves the store as it was before the failed transaction.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import lmdb
import msgspec

from streamflow.errors import StreamflowError

T = TypeVar("T")

_DBS = ("meta", "results", "state", "deadletters", "dropped")
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode
INITIAL_MAP_SIZE = 64 << 20
SEP = b"\x00"
VALUE_SEP = b"\x01"
"""Separates the step from a row id in the keys of values stored by :meth:`RunStore.claim_all`
(claimed keys use :data:`SEP`, so the two never collide)."""

IsDuplicate = Callable[[int, str, bytes | None], bool]
"""``is_duplicate(row index, owner id, owner's stored value)``: see :meth:`RunStore.claim_all`."""

PayloadOf = Callable[[int], bytes | None]
"""``payload_of(ordinal)``: the payload a kept row stored, once, beside its bucket entries."""
FindMatch = Callable[[int, list[bytes], PayloadOf], int | None]
"""``find(row index, bucket contents, payload_of) -> ordinal or None``: see
:meth:`RunStore.match_or_add`."""

BUCKET_SEP, ORDINAL_SEP, MEMBER_SEP, COUNTER_SEP, PAYLOAD_SEP = (
    b"\x02",
    b"\x03",
    b"\x04",
    b"\x05",
    b"\x06",
)
"""Markers after the step in the keys of :meth:`RunStore.match_or_add`'s buckets, ordinal ->
row id, row id -> ordinal, the step's next ordinal and ordinal -> payload."""
BUCKET_CHUNK = 32 << 10
"""A bucket is stored in chunks of about this many bytes, so adding an entry to a large bucket
rewrites one chunk, not the bucket."""
ORDINAL = 8
"""Bytes of the little-endian ordinal that starts each bucket entry."""


class StoreFullError(StreamflowError):
    """The disk (or the address space) has no room for the store to grow."""


class RunStore:
    """The LMDB environment of one run directory."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if not readonly:
            path.mkdir(parents=True, exist_ok=True)
        try:
            self.env = lmdb.open(
                str(path),
                map_size=INITIAL_MAP_SIZE,
                max_dbs=len(_DBS),
                readonly=readonly,
                lock=True,
                sync=False,  # commit_checkpoint() syncs; see the module docstring
                metasync=False,
                readahead=False,
            )
        except lmdb.Error as exc:
            raise StreamflowError(f"{path}: cannot open the run store: {exc}") from exc
        self.readonly = readonly
        self._dbs: dict[str, Any] = {}
        for name in _DBS:
            try:
                self._dbs[name] = self.env.open_db(name.encode(), create=not readonly)
            except lmdb.NotFoundError:  # a read-only view of a store that never wrote this table
                continue
        self._lock = threading.Lock()
        self.closed = False

    # -- transactions ------------------------------------------------------------------------

    def _write(self, fn: Callable[[lmdb.Transaction], T]) -> T:
        """Run ``fn`` in one write transaction, growing the map and retrying when it is full."""
        with self._lock:
            while True:
                try:
                    with self.env.begin(write=True) as txn:
                        return fn(txn)
                except lmdb.MapFullError:
                    self._grow()
                except lmdb.Error as exc:
                    raise self._failure(exc) from exc

    def _failure(self, exc: lmdb.Error) -> StreamflowError:
        """A failed commit: tell a full disk (the usual cause) from anything else."""
        free = shutil.disk_usage(self.path).free
        if free < 64 << 20:
            return StoreFullError(
                f"{self.path}: the disk is full ({free:,} bytes free): the run store could not "
                f"commit ({exc}); it holds everything up to its last commit: free space, then "
                "--resume"
            )
        return StreamflowError(f"{self.path}: the run store could not commit: {exc}")

    def _read(self, fn: Callable[[lmdb.Transaction], T]) -> T:
        with self._lock, self.env.begin() as txn:
            return fn(txn)

    def _grow(self) -> None:
        size = self.env.info()["map_size"] * 2
        try:
            self.env.set_mapsize(size)
        except lmdb.Error as exc:
            raise StoreFullError(
                f"{self.path}: cannot grow the run store to {size}: {exc}"
            ) from exc

    @property
    def map_size(self) -> int:
        return int(self.env.info()["map_size"])

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        db = self._dbs.get("meta")
        if db is None:
            return None
        raw = self._read(lambda txn: txn.get(key.encode(), db=db))
        return None if raw is None else _decode(raw)

    def put_meta(self, **items: Any) -> None:
        db = self._dbs["meta"]

        def put(txn: lmdb.Transaction) -> None:
            for key, value in items.items():
                txn.put(key.encode(), _encode(value), db=db)

        self._write(put)

    def commit_checkpoint(self, checkpoint: dict[str, Any], **also: Any) -> None:
        """Record a checkpoint durably: everything written before it is synced with it.

        ``also``: other meta records that must change in the same transaction.
        """
        self.put_meta(checkpoint=checkpoint, **also)
        self.env.sync(True)

    # -- expensive results -------------------------------------------------------------------

    def get_results(self, step: str, ids: list[str]) -> list[Any]:
        """Stored results for ``ids`` (None where none is stored)."""
        db = self._dbs["results"]
        prefix = step.encode() + SEP

        def get(txn: lmdb.Transaction) -> list[Any]:
            out = []
            for row_id in ids:
                raw = txn.get(prefix + row_id.encode(), db=db)
                out.append(None if raw is None else _decode(raw))
            return out

        return self._read(get)

    def put_results(self, step: str, items: list[tuple[str, Any]]) -> None:
        db = self._dbs["results"]
        prefix = step.encode() + SEP

        def put(txn: lmdb.Transaction) -> None:
            for row_id, value in items:
                txn.put(prefix + row_id.encode(), _encode(value), db=db)

        self._write(put)

    def delete_results(self, step: str, ids: list[str]) -> None:
        db = self._dbs["results"]
        prefix = step.encode() + SEP

        def delete(txn: lmdb.Transaction) -> None:
            for row_id in ids:
                txn.delete(prefix + row_id.encode(), db=db)

        self._write(delete)

    # -- operator state ----------------------------------------------------------------------

    def claim(self, step: str, keys: list[bytes], ids: list[str]) -> list[str | None]:
        """Claim each key for the row id beside it; returns the earlier owner, or None.

        Idempotent under replay: a row that claimed a key before a crash finds itself as the
        owner and is told None again, so a resumed run decides exactly as the first one did.
        """
        db = self._dbs["state"]
        prefix = step.encode() + SEP

        def claim(txn: lmdb.Transaction) -> list[str | None]:
            owners: list[str | None] = []
            for key, row_id in zip(keys, ids, strict=True):
                mine = row_id.encode()
                held = txn.get(prefix + key, db=db)
                if held is None:
                    txn.put(prefix + key, mine, db=db)
                    owners.append(None)
                else:
                    owners.append(None if held == mine else bytes(held).decode())
            return owners

        return self._write(claim)

    def claim_all(
        self,
        step: str,
        keys_per_row: list[list[bytes]],
        ids: list[str],
        values: list[bytes | None] | None = None,
        is_duplicate: IsDuplicate | None = None,
    ) -> list[str | None]:
        """:meth:`claim` for rows that have several keys each, in one write transaction.

        Rows are decided in order, each seeing what the rows before it claimed. A row that
        already owns one of its keys (a replay) is kept. Otherwise each other owner of one of
        its keys, in key order, is a candidate: the row is a duplicate of the first candidate
        that ``is_duplicate(row index, owner id, owner's stored value)`` accepts (the first
        candidate when there is no ``is_duplicate``) and then claims nothing; a row that is no
        duplicate claims every key still free and stores its value (``values[i]``, unless
        None) under its id, where later rows' ``is_duplicate`` and :meth:`get_values` find it.
        Returns, per row, the id of the row it duplicates, or None where it is kept.
        """
        db = self._dbs["state"]
        prefix = step.encode() + SEP
        value_prefix = step.encode() + VALUE_SEP

        def claim(txn: lmdb.Transaction) -> list[str | None]:
            def stored(owner: str) -> bytes | None:
                raw = txn.get(value_prefix + owner.encode(), db=db)
                return None if raw is None else bytes(raw)

            out: list[str | None] = []
            for i, (keys, row_id) in enumerate(zip(keys_per_row, ids, strict=True)):
                mine = row_id.encode()
                # bytes: buffers=False, the default
                held = cast(list[bytes | None], [txn.get(prefix + key, db=db) for key in keys])
                duplicate_of = None
                if mine not in held:
                    seen: set[bytes] = set()
                    for owner in held:
                        if owner is None or owner in seen:
                            continue
                        seen.add(owner)
                        name = owner.decode()
                        if is_duplicate is None or is_duplicate(i, name, stored(name)):
                            duplicate_of = name
                            break
                out.append(duplicate_of)
                if duplicate_of is not None:
                    continue
                for key, owner in zip(keys, held, strict=True):
                    if owner is None:
                        txn.put(prefix + key, mine, db=db)
                value = values[i] if values is not None else None
                if value is not None:
                    txn.put(value_prefix + mine, value, db=db)
            return out

        return self._write(claim)

    def match_or_add(
        self,
        step: str,
        lookup_keys: list[list[bytes]],
        ids: list[str],
        records: list[bytes | None],
        find: FindMatch,
        insert_keys: list[list[bytes]] | None = None,
        payloads: list[bytes | None] | None = None,
    ) -> list[str | None]:
        """Near-dedup against every kept row of a bucket, in one write transaction.

        Unlike :meth:`claim_all`, where a key has one owner, a bucket key here holds every kept
        row that added itself under it, so a search by bucket misses no one (exact Hamming or
        cosine search over candidate buckets). Rows are decided in order, each seeing the rows
        added before it. A row added before (a replay) is kept and changes nothing. Otherwise
        ``find(row index, contents, payload_of)`` gets the bytes of each bucket in
        ``lookup_keys[i]`` (each a run of entries: an 8-byte little-endian ordinal, then the
        record that row added) and returns the ordinal of the row it duplicates, or None;
        ``payload_of(ordinal)`` reads what a kept row stored once beside its entries (large
        values, such as an embedding, that would cost too much copied into every bucket). A row
        that duplicates no one and has a record gets the next ordinal, adds ``ordinal +
        record`` to each bucket of ``insert_keys[i]`` (``lookup_keys[i]`` by default) and
        stores ``payloads[i]`` (unless None). Returns, per row, the id of the row it
        duplicates, or None where it is kept.
        """
        db = self._dbs["state"]
        head = step.encode()
        counter_key = head + COUNTER_SEP
        inserts = insert_keys if insert_keys is not None else lookup_keys

        def run(txn: lmdb.Transaction) -> list[str | None]:
            def payload_of(ordinal: int) -> bytes | None:
                key = head + PAYLOAD_SEP + ordinal.to_bytes(ORDINAL, "little")
                return cast(bytes | None, txn.get(key, db=db))

            raw = txn.get(counter_key, db=db)
            next_ordinal = 0 if raw is None else int.from_bytes(raw, "little")
            out: list[str | None] = []
            for i, row_id in enumerate(ids):
                mine = row_id.encode()
                if txn.get(head + MEMBER_SEP + mine, db=db) is not None:
                    out.append(None)  # added by an earlier run of this row: kept again
                    continue
                contents = [_bucket(txn, db, head, key) for key in lookup_keys[i]]
                match = find(i, contents, payload_of) if any(contents) else None
                if match is not None:
                    owner = txn.get(head + ORDINAL_SEP + match.to_bytes(ORDINAL, "little"), db=db)
                    if owner is None:
                        raise KeyError(f"{step}: find() returned unknown ordinal {match}")
                    out.append(bytes(owner).decode())
                    continue
                out.append(None)
                record = records[i]
                if record is None:
                    continue
                ordinal = next_ordinal.to_bytes(ORDINAL, "little")
                next_ordinal += 1
                txn.put(head + ORDINAL_SEP + ordinal, mine, db=db)
                txn.put(head + MEMBER_SEP + mine, ordinal, db=db)
                payload = payloads[i] if payloads is not None else None
                if payload is not None:
                    txn.put(head + PAYLOAD_SEP + ordinal, payload, db=db)
                for key in inserts[i]:
                    _append(txn, db, head, key, ordinal + record)
            txn.put(counter_key, next_ordinal.to_bytes(ORDINAL, "little"), db=db)
            return out

        return self._write(run)

    def get_values(self, step: str, ids: list[str]) -> list[bytes | None]:
        """The values :meth:`claim_all` stored for ``ids`` (None where none is stored)."""
        db = self._dbs.get("state")
        if db is None:
            return [None] * len(ids)
        prefix = step.encode() + VALUE_SEP

        def get(txn: lmdb.Transaction) -> list[bytes | None]:
            raws = [txn.get(prefix + row_id.encode(), db=db) for row_id in ids]
            return [None if raw is None else bytes(raw) for raw in raws]

        return self._read(get)

    # -- dead letters and dropped rows -------------------------------------------------------

    def add_records(self, table: str, records: list[tuple[str, str, Any]]) -> None:
        """Record (step, row id, record) in ``deadletters`` or ``dropped``; replays overwrite."""
        db = self._dbs[table]

        def put(txn: lmdb.Transaction) -> None:
            for step, row_id, record in records:
                txn.put(step.encode() + SEP + row_id.encode(), _encode(record), db=db)

        self._write(put)

    def delete_records(self, table: str, keys: list[tuple[str, str]]) -> None:
        db = self._dbs[table]

        def delete(txn: lmdb.Transaction) -> None:
            for step, row_id in keys:
                txn.delete(step.encode() + SEP + row_id.encode(), db=db)

        self._write(delete)

    def records(self, table: str) -> Iterator[Any]:
        """Every record of ``deadletters`` or ``dropped``, in key order (a snapshot)."""
        db = self._dbs.get(table)
        if db is None:
            return iter(())
        return iter(self._read(lambda txn: [_decode(v) for _, v in txn.cursor(db=db)]))

    def requeue(self, wanted: Callable[[Any], bool]) -> int:
        """Move the dead letters ``wanted`` picks into the ``requeue`` list (one transaction)."""
        letters, meta = self._dbs["deadletters"], self._dbs["meta"]

        def move(txn: lmdb.Transaction) -> int:
            raw = txn.get(b"requeue", db=meta)
            queue = [] if raw is None else _decode(raw)
            keys = []
            for key, value in txn.cursor(db=letters):
                letter = _decode(value)
                if wanted(letter):
                    queue.append(letter)
                    keys.append(bytes(key))
            for key in keys:
                txn.delete(key, db=letters)
            txn.put(b"requeue", _encode(queue), db=meta)
            return len(keys)

        return self._write(move)

    def count(self, table: str) -> int:
        db = self._dbs.get(table)
        if db is None:
            return 0
        return int(self._read(lambda txn: txn.stat(db)["entries"]))

    @contextmanager
    def reading(self) -> Iterator[RunStore]:
        """This store, or, once closed, a read-only one opened for the duration."""
        if not self.closed:
            yield self
            return
        store = RunStore(self.path, readonly=True)
        try:
            yield store
        finally:
            store.close()

    def close(self) -> None:
        self.closed = True
        self.env.close()


def _bucket_base(head: bytes, key: bytes) -> bytes:
    """A bucket's first chunk's key: step, marker, the key's length and the key. Later chunks
    add a 4-byte number, so no key's chunks share a prefix with another key's."""
    return head + BUCKET_SEP + len(key).to_bytes(2, "big") + key


def _chunk_key(base: bytes, j: int) -> bytes:
    return base if j == 0 else base + j.to_bytes(4, "big")


_MORE, _LAST = b"\x01", b"\x00"
"""A chunk's first byte: whether another chunk follows (one LMDB entry for a small bucket)."""


def _bucket(txn: lmdb.Transaction, db: Any, head: bytes, key: bytes) -> bytes:
    """Every entry of a bucket, its chunks joined (``b""`` for an empty bucket)."""
    base = _bucket_base(head, key)
    chunks: list[bytes] = []
    j = 0
    while (raw := cast(bytes | None, txn.get(_chunk_key(base, j), db=db))) is not None:
        chunks.append(raw[1:])
        if raw[:1] != _MORE:
            break
        j += 1
    return b"".join(chunks)


def _append(txn: lmdb.Transaction, db: Any, head: bytes, key: bytes, entry: bytes) -> None:
    base = _bucket_base(head, key)
    j = 0
    while (raw := cast(bytes | None, txn.get(_chunk_key(base, j), db=db))) is not None:
        if raw[:1] != _MORE:
            if len(raw) + len(entry) <= BUCKET_CHUNK:
                txn.put(_chunk_key(base, j), raw + entry, db=db)
                return
            txn.put(_chunk_key(base, j), _MORE + raw[1:], db=db)
            txn.put(_chunk_key(base, j + 1), _LAST + entry, db=db)
            return
        j += 1
    txn.put(base, _LAST + entry, db=db)
