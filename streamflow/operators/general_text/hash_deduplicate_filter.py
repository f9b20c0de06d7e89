"""Exact deduplication as a stateful filter: a row whose chosen fields hash like an earlier row's
is dropped, whichever batch the earlier row came in."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable

import xxhash

from streamflow.actors.base import Filter
from streamflow.operators.fields import compared_text, one_or_more_keys
from streamflow.rows import Row
from streamflow.store.state import MemoryState, OperatorState

__all__ = ["DIGEST_SIZE", "HashDeduplicateFilter", "normalized"]

DIGEST_SIZE = 16
"""Bytes kept per digest: 128 bits make an accidental collision negligible at any data size."""

HASHES: dict[str, Callable[[bytes], bytes]] = {
    "md5": lambda data: hashlib.md5(data, usedforsecurity=False).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest()[:DIGEST_SIZE],
    "xxh3": xxhash.xxh3_128_digest,
    "blake2b": lambda data: hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest(),
}


def normalized(text: str) -> str:
    """The text with case, Unicode width/compatibility forms and spacing differences removed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class HashDeduplicateFilter(Filter):
    """Keeps the first row of each group of rows whose fields are exactly equal; drops the others.

    As in DataFlow: ``hash_func`` is ``md5``, ``sha256`` or ``xxh3`` (``blake2b`` too), the hash
    covers ``input_key``, or ``input_keys`` joined as ``"key:\\nvalue"`` lines, and kept rows
    get ``output_key`` = 1. ``normalize=True`` (not in DataFlow) ignores case, spacing and
    Unicode width. None is an empty text, other non-strings are hashed as canonical JSON. Each
    digest belongs to the first row that had it; in a run directory that record lives in the run
    store, so later runs (resumed or incremental) deduplicate against every earlier one, and a
    dropped row's reason names the row that was kept.
    """

    stateful = True

    def __init__(self, hash_func: str = "md5", normalize: bool = False) -> None:
        if hash_func not in HASHES:
            raise ValueError(
                f"{self.name}: hash_func must be one of {', '.join(HASHES)}, got {hash_func!r}"
            )
        self.hash_func = hash_func
        self.normalize = normalize
        self.state: OperatorState = MemoryState()

    def open_state(self, state: OperatorState) -> None:
        self.state = state

    def process(
        self,
        rows: list[Row],
        input_keys: list[str] | None = None,
        input_key: str | None = None,
        output_key: str | None = "minhash_deduplicated_label",
    ) -> list[bool | tuple[bool, str]]:
        keys = one_or_more_keys(self.name, input_keys, input_key)
        digest = HASHES[self.hash_func]
        transform = normalized if self.normalize else None
        digests = [
            digest(compared_text(self.name, row, keys, transform).encode("utf-8")) for row in rows
        ]
        verdicts: list[bool | tuple[bool, str]] = []
        for row, d, owner in zip(rows, digests, self.state.claim(digests), strict=True):
            if owner is None:
                if output_key is not None:
                    row[output_key] = 1
                verdicts.append(True)
            else:
                verdicts.append((False, f"duplicate of {owner} (hash {d.hex()[:12]})"))
        return verdicts
