"""Near-deduplication by hashed text segments (DataFlow's ``NgramHashDeduplicateFilter``), as a
stateful filter whose index lives in the run store.

A text is cut into ``n_gram`` segments of equal length (``len(text) // n_gram`` characters; the
remainder is not compared, as in DataFlow) and each segment is hashed. A row is a duplicate of
an earlier kept row when at least ``diff_size`` of its distinct segment hashes are among that
row's. The index makes this exact without comparing a row with every earlier one: two rows share
``diff_size`` hashes exactly when they share a ``diff_size``-subset of their hash sets, so each
subset (sorted, hashed) is a key of :meth:`OperatorState.claim_all`: a row one of whose subsets
a kept row claimed shares at least ``diff_size`` segments with it. A row has at most
``C(n_gram, diff_size)`` keys.
"""

from __future__ import annotations

import math
from itertools import combinations

import xxhash

from streamflow.actors.base import Filter
from streamflow.operators.fields import compared_text, one_or_more_keys
from streamflow.operators.general_text.hash_deduplicate_filter import HASHES
from streamflow.rows import Row
from streamflow.store.state import MemoryState, OperatorState

__all__ = ["NgramHashDeduplicateFilter", "segments"]

MAX_KEYS_PER_ROW = 4096
"""A bound on ``C(n_gram, diff_size)``: the keys each row claims in the index."""


def segments(text: str, n_gram: int) -> list[str]:
    """DataFlow's segments: ``n_gram`` slices of ``len(text) // n_gram`` characters; a text
    shorter than ``n_gram`` characters is one segment, itself (DataFlow would cut it into empty
    slices, which made every short text a duplicate of the first one)."""
    length = len(text) // n_gram
    if length == 0:
        return [text]
    return [text[i * length : (i + 1) * length] for i in range(n_gram)]


class NgramHashDeduplicateFilter(Filter):
    """Drops a row when ``diff_size`` of its ``n_gram`` segment hashes match an earlier kept row.

    As in DataFlow: ``hash_func`` is ``md5``, ``sha256`` or ``xxh3``; the text is ``input_key``,
    or ``input_keys`` joined as ``"key:\\nvalue"`` lines; kept rows get ``output_key`` = 1.
    Segments are compared as a set, wherever they sit in the text. Differences from DataFlow:
    a text shorter than ``n_gram`` characters is one segment (DataFlow cut it into empty
    segments, so all short texts matched each other); None is an empty text and other
    non-strings are compared as canonical JSON; in a run directory the index lives in the run
    store under the step's fingerprint, so later runs deduplicate against every earlier one,
    and a dropped row's reason names the kept row it matched.
    """

    stateful = True

    def __init__(self, n_gram: int = 3, hash_func: str = "md5", diff_size: int = 1) -> None:
        if hash_func not in ("md5", "sha256", "xxh3"):
            raise ValueError(
                f"{self.name}: hash_func must be md5, sha256 or xxh3, got {hash_func!r}"
            )
        if not isinstance(n_gram, int) or n_gram < 1:
            raise ValueError(f"{self.name}: n_gram must be a positive integer, got {n_gram!r}")
        if not isinstance(diff_size, int) or not 1 <= diff_size <= n_gram:
            raise ValueError(
                f"{self.name}: diff_size must be an integer in [1, n_gram={n_gram}], "
                f"got {diff_size!r}"
            )
        if math.comb(n_gram, diff_size) > MAX_KEYS_PER_ROW:
            raise ValueError(
                f"{self.name}: n_gram={n_gram} with diff_size={diff_size} gives "
                f"{math.comb(n_gram, diff_size)} index keys per row (at most "
                f"{MAX_KEYS_PER_ROW}); use fewer segments or a diff_size nearer 1 or n_gram"
            )
        self.n_gram = n_gram
        self.hash_func = hash_func
        self.diff_size = diff_size
        self.state: OperatorState = MemoryState()

    def open_state(self, state: OperatorState) -> None:
        self.state = state

    def keys(self, text: str) -> list[bytes]:
        """The row's index keys: a hash of each ``diff_size``-subset of its segment hashes."""
        digest = HASHES[self.hash_func]
        hashes = sorted({digest(s.encode("utf-8")) for s in segments(text, self.n_gram)})
        return [xxhash.xxh3_128_digest(b"".join(c)) for c in combinations(hashes, self.diff_size)]

    def process(
        self,
        rows: list[Row],
        input_keys: list[str] | None = None,
        input_key: str | None = None,
        output_key: str | None = "minhash_deduplicated_label",
    ) -> list[bool | tuple[bool, str]]:
        fields = one_or_more_keys(self.name, input_keys, input_key)
        keys = [self.keys(compared_text(self.name, row, fields)) for row in rows]
        verdicts: list[bool | tuple[bool, str]] = []
        for row, owner in zip(rows, self.state.claim_all(keys), strict=True):
            if owner is None:
                if output_key is not None:
                    row[output_key] = 1
                verdicts.append(True)
            else:
                verdicts.append(
                    (False, f"duplicate of {owner} (at least {self.diff_size} equal segments)")
                )
        return verdicts
