"""Input identity: a file is known by its content, not its path.

Row ids are ``<file id>:<position>``, and a run directory keys its checkpoint and its stored
results by them, so a file's id must survive what users do to inputs between runs:

- **moved or renamed**: the same content is the same input, wherever it lies;
- **grown** (lines appended to a JSONL): the same input, and its old rows keep their ids;
- **rewritten in place** (same path, other content): *not* the same input, and the run must not
  mix the two (skip new rows as "done", or replay old results onto them).

A new file's id is a hash of its first line (at most :data:`HEAD` bytes; decompressed for
``.gz``/``.zst``), which appending does not change; files of one input that share a first line
get ``~2``, ``~3`` ... in path order. A run directory also remembers, per id, an
:class:`InputRecord`: the hash of the first ``n`` bytes (``n`` = the file's size when first
read, at most :data:`HEAD`), the size, and the hash of the last :data:`TAIL` bytes before that
size. :func:`identify` matches the files of the next run against those records, by path first,
then by content (a moved file), and reports a file whose remembered bytes changed (its head, the
bytes before the size last seen, or a file now shorter): a rewrite, which the run refuses. The
check reads at most ``HEAD + 2 * TAIL`` bytes per file, whatever its size, so a rewrite that
keeps both windows byte for byte goes unseen.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import zstandard

from streamflow.io.compression import is_compressed, open_binary

__all__ = ["HEAD", "TAIL", "Identified", "InputRecord", "identify", "input_ids"]

HEAD = 64 << 10
"""Bytes of a file's beginning that identify it."""
TAIL = 4 << 10
"""Bytes before the size last seen that must not change (appending leaves them as they were)."""


class InputRecord(TypedDict):
    """What a run directory remembers of one input file (stored as is in the run store)."""

    path: str
    """Where it was last read (for messages, and the first place to look)."""
    n: int
    """Bytes hashed in ``head``: the size when first read, at most :data:`HEAD`."""
    head: str
    size: int
    """The size when last read: later the file may only be as long or longer."""
    tail: str
    """Hash of the :data:`TAIL` bytes before ``size``."""


@dataclass
class Identified:
    """The outcome of :func:`identify`."""

    ids: dict[Path, str] = field(default_factory=dict)
    """Each file's id."""
    records: dict[str, InputRecord] = field(default_factory=dict)
    """Every record, updated for this run's files (those of absent files kept as they were)."""
    rewritten: list[tuple[Path, str]] = field(default_factory=list)
    """Files whose remembered content changed, each with what changed."""


def input_ids(files: Sequence[Path]) -> dict[Path, str]:
    """The ids of ``files`` with nothing remembered (a run without a run directory)."""
    return identify(files, {}).ids


def identify(
    files: Sequence[Path],
    known: Mapping[str, InputRecord],
    preferred: Mapping[Path, str] | None = None,
) -> Identified:
    """Match ``files`` (resolved paths) against the ``known`` records of earlier runs.

    A file is the known input recorded at its path when it still starts with the recorded head;
    otherwise the known input whose head it starts with (it was moved); otherwise new, unless
    its path held a known input that is now nowhere: then it was rewritten in place. A new file
    gets its ``preferred`` id when it has one (the id a run directory written before inputs were
    recorded gave it), else one from its first line.
    """
    out = Identified(records=dict(known))
    unclaimed = dict(known)
    by_path = {record["path"]: id_ for id_, record in known.items()}
    heads = {path: _Head.read(path) for path in files}

    def shorter(path: Path, record: InputRecord) -> str | None:
        size = heads[path].size
        if size >= record["size"]:
            return None
        return f"it is shorter ({size:,} bytes) than when last read ({record['size']:,})"

    def claim(path: Path, id_: str) -> None:
        record, head = unclaimed.pop(id_), heads[path]
        if why := shorter(path, record):
            out.rewritten.append((path, why))
        elif head.tail_at(path, record["size"]) != record["tail"]:
            why = f"the bytes before offset {record['size']:,} (read before) changed"
            out.rewritten.append((path, why))
        out.ids[path] = id_
        out.records[id_] = head.record(path, record["n"], record["head"])

    pending = []
    for path in files:
        id_ = by_path.get(str(path))
        if id_ in unclaimed and heads[path].starts_with(unclaimed[id_]):
            claim(path, id_)
        else:
            pending.append(path)
    moved = _by_content(unclaimed)
    for path in list(pending):
        for id_ in heads[path].matches(moved):
            if id_ in unclaimed:
                claim(path, id_)
                pending.remove(path)
                break
    for path in pending:
        id_ = by_path.get(str(path))
        if id_ in unclaimed:
            record = unclaimed[id_]
            why = shorter(path, record) or f"its first {record['n']:,} bytes changed"
            out.rewritten.append((path, why))
            continue
        head = heads[path]
        id_ = (preferred or {}).get(path) or _free(_hash(_first_line(path, head)), out.records)
        n = min(head.size, HEAD)
        out.ids[path] = id_
        out.records[id_] = head.record(path, n, _hash(head.data[:n]))
    return out


@dataclass
class _Head:
    """The first :data:`HEAD` bytes of a file and its size, read once."""

    data: bytes
    size: int

    @classmethod
    def read(cls, path: Path) -> _Head:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            return cls(f.read(HEAD), size)

    def starts_with(self, record: InputRecord) -> bool:
        n = record["n"]
        return self.size >= n and _hash(self.data[:n]) == record["head"]

    def matches(self, by_content: dict[tuple[int, str], list[str]]) -> list[str]:
        """The ids whose (non-empty) recorded head this file starts with."""
        found: list[str] = []
        for n in sorted({n for n, _ in by_content}):
            if self.size >= n:
                found += by_content.get((n, _hash(self.data[:n])), [])
        return found

    def first_line(self) -> bytes:
        end = self.data.find(b"\n")
        return self.data if end < 0 else self.data[: end + 1]

    def tail_at(self, path: Path, size: int) -> str:
        """Hash of the :data:`TAIL` bytes before ``size``."""
        start = max(0, size - TAIL)
        if size <= len(self.data):
            return _hash(self.data[start:size])
        with path.open("rb") as f:
            f.seek(start)
            return _hash(f.read(size - start))

    def record(self, path: Path, n: int, head: str) -> InputRecord:
        """The record of this file as read now, identified by its first ``n`` bytes."""
        tail = self.tail_at(path, self.size)
        return InputRecord(path=str(path), n=n, head=head, size=self.size, tail=tail)


def _first_line(path: Path, head: _Head) -> bytes:
    """The first line of ``path``'s content (decompressed), at most :data:`HEAD` bytes."""
    if is_compressed(path):
        try:
            with open_binary(path, "rb") as f:
                return bytes(f.readline(HEAD))
        except (OSError, EOFError, zstandard.ZstdError):
            pass  # damaged: the raw bytes will do; reading it reports the damage
    return head.first_line()


def _by_content(records: Mapping[str, InputRecord]) -> dict[tuple[int, str], list[str]]:
    """Records by (n, head), for finding moved files; an empty head identifies nothing."""
    index: dict[tuple[int, str], list[str]] = {}
    for id_, record in records.items():
        if record["n"] > 0:
            index.setdefault((record["n"], record["head"]), []).append(id_)
    return index


def _free(id_: str, taken: Mapping[str, object]) -> str:
    if id_ not in taken:
        return id_
    k = 2
    while f"{id_}~{k}" in taken:
        k += 1
    return f"{id_}~{k}"


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()[:12]
