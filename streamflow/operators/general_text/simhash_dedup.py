"""Near-deduplication by SimHash (DataFlow's ``SimHashDeduplicateFilter``): a row is dropped when
its fingerprint lies within a Hamming distance of an earlier kept row's; the index lives in the
run store, and its search is exact.

Fingerprints (Charikar's SimHash, with the features of the ``simhash`` package DataFlow uses):
the text is case folded and only its word characters are kept, joined; its features are the
overlapping 4-character windows (a shorter text is one feature); each feature is hashed to 64
bits (more for larger fingerprints), and bit ``b`` of the fingerprint is set when more features
have bit ``b`` set than not. Two deliberate differences from the package: each distinct feature
counts once, where the package weighs it by its count (with counts, the most frequent 4-grams of
the language decide most bits: unrelated 2-4 KB documents then lie 4-9 bits apart, inside the
default limit of 6, while with distinct features they lie 16 or more apart, 28 on average:
measured on B8's documents); and hashing is our own (code points mixed with multiply-xor steps
and the murmur3 finaliser, vectorised) instead of md5. A text with no word character has no
fingerprint: it is kept and matches nothing.

Search: near-duplicates are rows within ``k = floor(bound * fingerprint_size)`` bits. The
fingerprint is cut into ``k + r`` blocks; two fingerprints within ``k`` bits differ in at most
``k`` blocks, so they agree on at least ``r`` whole blocks, hence on one of the ``C(k + r, r)``
``r``-block combinations (pigeonhole, Manku et al. 2007). Each combination is a bucket key of
:meth:`OperatorState.match_or_add`; a row's candidates are every kept row in its buckets, and
each is checked by its exact Hamming distance, so no near-duplicate is missed and none is
invented. ``r`` is the smallest that gives keys of at least 16 bits (fewer candidates per
bucket); for the default 64 bits and bound 0.1 (k = 6) that is 8 blocks of 8 bits, 28 keys.
"""

from __future__ import annotations

import functools
import math
import re
from itertools import combinations

import numpy as np
import numpy.typing as npt

from streamflow.actors.base import Filter
from streamflow.operators.fields import compared_text, one_or_more_keys
from streamflow.rows import Row
from streamflow.store.runstore import ORDINAL, PayloadOf
from streamflow.store.state import MemoryState, OperatorState

__all__ = ["SimHashDeduplicateFilter", "SimHasher", "hamming"]

U64 = npt.NDArray[np.uint64]
WIDTH = 4
"""Characters per feature, as in the ``simhash`` package."""
MIN_KEY_BITS = 16
MAX_KEYS = 4096

_NOT_WORD = re.compile(r"\W+")
"""Drops non-word characters (the package also keeps U+4E00-U+9FCC, which are word ones)."""
_START = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3 | (0x9E37 << 48))
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_33 = np.uint64(33)


def _finalise(h: U64) -> U64:
    h = h ^ (h >> _33)
    h *= _FMIX_1
    h ^= h >> _33
    h *= _FMIX_2
    h ^= h >> _33
    return h


def hamming(a: bytes, b: bytes) -> int:
    """The number of bits in which two equally long fingerprints differ."""
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).bit_count()


class SimHasher:
    """Fingerprints of ``bits`` bits (a multiple of 8) and their bucket keys for distance ``k``."""

    def __init__(self, bits: int = 64, max_distance: int = 6) -> None:
        self.bits = bits
        self.max_distance = max_distance
        self.words = -(-bits // 64)  # 64-bit hashes per feature
        k = max_distance
        r = 1
        while (
            k
            and bits * r // (k + r) < min(MIN_KEY_BITS, bits)
            and math.comb(k + r + 1, r + 1) <= MAX_KEYS
        ):
            r += 1
        blocks = np.array_split(np.arange(bits), k + r)
        self.block_count = k + r
        self.combinations = [
            np.concatenate([blocks[j] for j in combo]) for combo in combinations(range(k + r), r)
        ]

    def fingerprint(self, text: str) -> bytes | None:
        """The text's fingerprint, ``bits // 8`` bytes (bit ``b`` is bit ``b % 8`` of byte
        ``b // 8``), or None when it has no word character."""
        chars = _NOT_WORD.sub("", text.casefold())
        if not chars:
            return None
        points = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        n = max(len(points) - WIDTH + 1, 1)
        h = np.full(n, _START, dtype=np.uint64)
        for j in range(min(WIDTH, len(points))):
            h ^= points[j : j + n]
            h *= _PRIME
        h.sort()  # each distinct feature once (module docstring)
        h = h[np.concatenate(([True], h[1:] != h[:-1]))]
        n = len(h)
        words = [_finalise(h)]
        for w in range(1, self.words):
            words.append(_finalise(words[0] ^ np.uint64(w * 0x632BE59BD9B4E019)))
        stacked = np.stack(words, axis=1).astype("<u8")
        bits = np.unpackbits(stacked.view(np.uint8), axis=1, bitorder="little")[:, : self.bits]
        ones = bits.sum(axis=0, dtype=np.int64)
        return np.packbits(ones * 2 > n, bitorder="little").tobytes()

    def keys(self, fingerprint: bytes) -> list[bytes]:
        """The bucket keys: each block combination's index and bits."""
        bits = np.unpackbits(np.frombuffer(fingerprint, dtype=np.uint8), bitorder="little")
        return [
            c.to_bytes(2, "big") + np.packbits(bits[idx], bitorder="little").tobytes()
            for c, idx in enumerate(self.combinations)
        ]


@functools.cache
def _popcount_table() -> npt.NDArray[np.uint8]:
    return np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class SimHashDeduplicateFilter(Filter):
    """Drops a row whose SimHash lies within ``bound * fingerprint_size`` bits of an earlier
    kept row's; keeps the others.

    As in DataFlow: ``fingerprint_size`` bits (64), ``bound`` 0.1; the text is ``input_key``,
    or ``input_keys`` joined as ``"key:\\nvalue"`` lines; kept rows get ``output_key`` = 1.
    DataFlow calls two rows similar when ``1 - distance / L >= 1 - bound``, where ``L`` is
    the length of ``bin()`` of the larger fingerprint (the bits plus 2 for ``"0b"``, fewer when
    the top bits are 0); here the limit is ``floor(bound * fingerprint_size)`` bits, which is
    the same 6 bits for the defaults. Fingerprints count each distinct feature once and hash
    it with our own hash, not md5 (module docstring: with counts, unrelated documents fall
    within the default limit). The search is exact (tests check it against every pair's Hamming
    distance); a text without word characters is kept and matches nothing. In a run directory
    the index lives in the run store, so later runs deduplicate against every earlier one; a
    dropped row's reason names the kept row and the distance.
    """

    stateful = True

    def __init__(self, fingerprint_size: int = 64, bound: float = 0.1) -> None:
        if not isinstance(fingerprint_size, int) or not 8 <= fingerprint_size <= 512:
            raise ValueError(
                f"{self.name}: fingerprint_size must be an integer in [8, 512], "
                f"got {fingerprint_size!r}"
            )
        if fingerprint_size % 8:
            raise ValueError(
                f"{self.name}: fingerprint_size must be a multiple of 8, got {fingerprint_size}"
            )
        if not 0.0 <= bound < 0.5:
            raise ValueError(f"{self.name}: bound must be in [0, 0.5), got {bound}")
        self.fingerprint_size = fingerprint_size
        self.bound = bound
        self.max_distance = math.floor(bound * fingerprint_size + 1e-9)
        self.hasher = SimHasher(fingerprint_size, self.max_distance)
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
        fields = one_or_more_keys(self.name, input_keys, input_key)
        prints = [self.hasher.fingerprint(compared_text(self.name, row, fields)) for row in rows]
        keys = [[] if fp is None else self.hasher.keys(fp) for fp in prints]
        size = self.fingerprint_size // 8
        limit = self.max_distance
        table = _popcount_table()
        distances: dict[int, int] = {}

        def find(i: int, contents: list[bytes], payload_of: PayloadOf) -> int | None:
            mine = prints[i]
            assert mine is not None  # rows without a fingerprint have no bucket
            entries = np.frombuffer(b"".join(contents), dtype=np.uint8).reshape(-1, ORDINAL + size)
            theirs = entries[:, ORDINAL:]
            dist = table[theirs ^ np.frombuffer(mine, dtype=np.uint8)].sum(axis=1, dtype=np.int64)
            near = np.flatnonzero(dist <= limit)
            if not near.size:
                return None
            ordinals = np.ascontiguousarray(entries[near, :ORDINAL]).view("<u8").ravel()
            best = int(np.argmin(ordinals))  # the earliest kept row among the near ones
            distances[i] = int(dist[near[best]])
            return int(ordinals[best])

        owners = self.state.match_or_add(keys, prints, find)
        verdicts: list[bool | tuple[bool, str]] = []
        for i, (row, owner) in enumerate(zip(rows, owners, strict=True)):
            if owner is None:
                if output_key is not None:
                    row[output_key] = 1
                verdicts.append(True)
            else:
                verdicts.append(
                    (
                        False,
                        f"near-duplicate of {owner} (SimHash distance {distances[i]} of "
                        f"{self.fingerprint_size} bits)",
                    )
                )
        return verdicts
