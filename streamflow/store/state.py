"""Operator state that outlives a batch: in memory for a plain run, in LMDB for a run directory.

The first primitive is "this key belongs to the first row that claimed it":
:meth:`OperatorState.claim` (one key per row, exact dedup), :meth:`OperatorState.claim_each`
(several keys per row, each decided alone: paragraph dedup) and :meth:`OperatorState.claim_all`
(several keys per row, with a stored value per kept row and an optional check of each candidate:
near-dedup by LSH). The second, :meth:`OperatorState.match_or_add`, keeps buckets of every kept
row under a key, for searches that must miss no one (exact Hamming distance, cosine within
candidate buckets). All are idempotent under replay: a resumed run that re-reads a row finds the
row itself in the index, so it decides exactly as before.
"""

from __future__ import annotations

import threading
from typing import Protocol

from streamflow.rows import row_ids
from streamflow.store.runstore import ORDINAL, FindMatch, IsDuplicate, RunStore


class OperatorState(Protocol):
    def claim(self, keys: list[bytes]) -> list[str | None]:
        """Claim one key per row of the running hook; None where the row now owns it, else the
        id of the row that owned it first."""
        ...

    def claim_each(self, keys_per_row: list[list[bytes]]) -> list[list[str | None]]:
        """Claim several keys per row of the running hook, each on its own: per row, per key,
        None where the row now owns it, else the id of the row that owned it first."""
        ...

    def claim_all(
        self,
        keys_per_row: list[list[bytes]],
        values: list[bytes | None] | None = None,
        is_duplicate: IsDuplicate | None = None,
    ) -> list[str | None]:
        """Claim several keys per row of the running hook, atomically for the batch.

        Rows are decided in order, each seeing the claims of the rows before it. A row that owns
        one of its keys already (a replay) is kept. Otherwise the other owners of its keys, in
        key order, are candidates: the row duplicates the first one that
        ``is_duplicate(row index, owner id, owner's value)`` accepts (the first one, without
        ``is_duplicate``) and claims nothing. A row that duplicates no one claims its free keys
        and stores ``values[i]`` (unless None) as its value. Returns, per row, the id of the
        row it duplicates, or None where it is kept.
        """
        ...

    def get_values(self, ids: list[str]) -> list[bytes | None]:
        """The values :meth:`claim_all` stored for these row ids (None where none is)."""
        ...

    def match_or_add(
        self,
        lookup_keys: list[list[bytes]],
        records: list[bytes | None],
        find: FindMatch,
        insert_keys: list[list[bytes]] | None = None,
        payloads: list[bytes | None] | None = None,
    ) -> list[str | None]:
        """Decide the rows of the running hook in order against buckets of kept rows.

        A row added before (a replay) is kept. Otherwise ``find(row index, contents,
        payload_of)`` sees the bytes of each bucket of ``lookup_keys[i]``, runs of entries (an
        8-byte little-endian ordinal, then a kept row's record), may read a kept row's payload
        by its ordinal, and returns the ordinal of the row this one duplicates, or None. A kept
        row with a record is added, as ``ordinal + record``, to the buckets of
        ``insert_keys[i]`` (``lookup_keys[i]`` by default), and its ``payloads[i]`` is stored
        once. Returns, per row, the id of the row it duplicates, or None where it is kept. See
        :meth:`RunStore.match_or_add`.
        """
        ...


class MemoryState:
    """State of a run without a run directory: lives as long as the process."""

    def __init__(self) -> None:
        self._owners: dict[bytes, str] = {}
        self._values: dict[str, bytes] = {}
        self._buckets: dict[bytes, bytearray] = {}
        self._members: dict[str, int] = {}
        self._by_ordinal: list[str] = []
        self._payloads: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def claim(self, keys: list[bytes]) -> list[str | None]:
        return self._claim(keys, row_ids())

    def claim_each(self, keys_per_row: list[list[bytes]]) -> list[list[str | None]]:
        return _per_row(keys_per_row, self._claim(*_flatten(keys_per_row)))

    def _claim(self, keys: list[bytes], ids: list[str]) -> list[str | None]:
        owners = self._owners
        out: list[str | None] = []
        with self._lock:
            for key, row_id in zip(keys, ids, strict=True):
                held = owners.setdefault(key, row_id)
                out.append(None if held == row_id else held)
        return out

    def claim_all(
        self,
        keys_per_row: list[list[bytes]],
        values: list[bytes | None] | None = None,
        is_duplicate: IsDuplicate | None = None,
    ) -> list[str | None]:
        owners, stored = self._owners, self._values
        out: list[str | None] = []
        with self._lock:
            for i, (keys, row_id) in enumerate(zip(keys_per_row, row_ids(), strict=True)):
                held = [owners.get(key) for key in keys]
                duplicate_of = None
                if row_id not in held:
                    # dict.fromkeys: the distinct owners, in key order
                    for candidate in dict.fromkeys(h for h in held if h is not None):
                        value = stored.get(candidate)
                        if is_duplicate is None or is_duplicate(i, candidate, value):
                            duplicate_of = candidate
                            break
                out.append(duplicate_of)
                if duplicate_of is not None:
                    continue
                for key, owner in zip(keys, held, strict=True):
                    if owner is None:
                        owners[key] = row_id
                mine = values[i] if values is not None else None
                if mine is not None:
                    stored[row_id] = mine
        return out

    def get_values(self, ids: list[str]) -> list[bytes | None]:
        with self._lock:
            return [self._values.get(row_id) for row_id in ids]

    def match_or_add(
        self,
        lookup_keys: list[list[bytes]],
        records: list[bytes | None],
        find: FindMatch,
        insert_keys: list[list[bytes]] | None = None,
        payloads: list[bytes | None] | None = None,
    ) -> list[str | None]:
        inserts = insert_keys if insert_keys is not None else lookup_keys
        buckets, members, by_ordinal = self._buckets, self._members, self._by_ordinal
        payload_of = self._payloads.get
        out: list[str | None] = []
        with self._lock:
            for i, row_id in enumerate(row_ids()):
                if row_id in members:
                    out.append(None)
                    continue
                contents = [bytes(buckets.get(key, b"")) for key in lookup_keys[i]]
                match = find(i, contents, payload_of) if any(contents) else None
                if match is not None:
                    out.append(by_ordinal[match])
                    continue
                out.append(None)
                record = records[i]
                if record is None:
                    continue
                members[row_id] = len(by_ordinal)
                payload = payloads[i] if payloads is not None else None
                if payload is not None:
                    self._payloads[len(by_ordinal)] = payload
                entry = len(by_ordinal).to_bytes(ORDINAL, "little") + record
                by_ordinal.append(row_id)
                for key in inserts[i]:
                    buckets.setdefault(key, bytearray()).extend(entry)
        return out


class StoreState:
    """State kept in the run store under the step's fingerprint, shared by every later run."""

    def __init__(self, store: RunStore, step: str) -> None:
        self.store = store
        self.step = step

    def claim(self, keys: list[bytes]) -> list[str | None]:
        return self.store.claim(self.step, keys, row_ids())

    def claim_each(self, keys_per_row: list[list[bytes]]) -> list[list[str | None]]:
        return _per_row(keys_per_row, self.store.claim(self.step, *_flatten(keys_per_row)))

    def claim_all(
        self,
        keys_per_row: list[list[bytes]],
        values: list[bytes | None] | None = None,
        is_duplicate: IsDuplicate | None = None,
    ) -> list[str | None]:
        return self.store.claim_all(self.step, keys_per_row, row_ids(), values, is_duplicate)

    def get_values(self, ids: list[str]) -> list[bytes | None]:
        return self.store.get_values(self.step, ids)

    def match_or_add(
        self,
        lookup_keys: list[list[bytes]],
        records: list[bytes | None],
        find: FindMatch,
        insert_keys: list[list[bytes]] | None = None,
        payloads: list[bytes | None] | None = None,
    ) -> list[str | None]:
        return self.store.match_or_add(
            self.step, lookup_keys, row_ids(), records, find, insert_keys, payloads
        )


def _flatten(keys_per_row: list[list[bytes]]) -> tuple[list[bytes], list[str]]:
    """The keys of the running hook's rows in one list, each beside its row's id."""
    ids = row_ids()
    flat = [(key, row_id) for keys, row_id in zip(keys_per_row, ids, strict=True) for key in keys]
    return [key for key, _ in flat], [row_id for _, row_id in flat]


def _per_row(keys_per_row: list[list[bytes]], owners: list[str | None]) -> list[list[str | None]]:
    it = iter(owners)
    return [[next(it) for _ in keys] for keys in keys_per_row]
