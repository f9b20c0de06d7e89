"""CCNetDeduplicateFilter: exact deduplication on a truncated SHA-1, after CCNet's normalisation.

As in DataFlow, a row's text (``input_key``, or ``input_keys`` joined as ``"key:\\nvalue"``
lines) is hashed with SHA-1, of which the first ``bit_length`` bits are kept (CCNet's
``str_hash`` keeps 64); the first row with a hash is kept, every later one is dropped. Kept rows
get ``output_key`` = 1.

``normalize=True`` (not in DataFlow, which hashes the raw text) first applies, line by line,
CCNet's ``normalize_for_dedup``: strip the line, lower-case it, turn every digit into ``0``,
remove the Unicode punctuation CCNet lists (full-width and CJK marks, curly quotes, dashes,
ellipses...) and non-printing characters. So "Page 12 — Intro" and "page 47 — intro" hash
alike, as they do in CCNet's paragraph dedup. Pass ``normalize=False`` for DataFlow's decisions.

The hashes live in the run store (like every streamflow dedup index), so a resumed or
incremental run deduplicates against every earlier run; a dropped row's reason names the row
that was kept.
"""

from __future__ import annotations

import hashlib
import re

from streamflow.actors.base import Filter
from streamflow.operators.fields import compared_text, one_or_more_keys
from streamflow.rows import Row
from streamflow.store.state import MemoryState, OperatorState

__all__ = ["CCNetDeduplicateFilter", "check_bit_length", "normalize_for_dedup", "sha1_hash"]

_UNICODE_PUNCT = "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►"
_NON_PRINTING = "".join(chr(c) for c in (*range(0, 32), *range(127, 160)))
_PUNCT_OR_NON_PRINTING = re.compile("[" + re.escape(_UNICODE_PUNCT + _NON_PRINTING) + "]")
_DIGIT = re.compile(r"\d")


def normalize_for_dedup(line: str) -> str:
    """One line as CCNet compares it for deduplication (see the module docstring)."""
    line = line.strip()
    if not line:
        return line
    line = _DIGIT.sub("0", line.lower())
    return _PUNCT_OR_NON_PRINTING.sub("", line)


def _normalize_text(text: str) -> str:
    return "\n".join(normalize_for_dedup(line) for line in text.split("\n"))


def check_bit_length(operator: str, bit_length: int) -> None:
    """Refuse a truncation of SHA-1 that is not whole bytes of its 160 bits."""
    if bit_length % 8 or not 8 <= bit_length <= 160:
        raise ValueError(
            f"{operator}: bit_length must be a multiple of 8 from 8 to 160, got {bit_length}"
        )


def sha1_hash(data: bytes, bit_length: int = 64) -> int:
    """The first ``bit_length`` bits of SHA-1 as a little-endian integer (CCNet's hash)."""
    digest = hashlib.sha1(data, usedforsecurity=False).digest()
    return int.from_bytes(digest[: bit_length // 8], byteorder="little")


class CCNetDeduplicateFilter(Filter):
    """Keeps the first row of each group whose (normalised) text has the same truncated SHA-1."""

    stateful = True

    def __init__(self, bit_length: int = 64, *, normalize: bool = True) -> None:
        check_bit_length(self.name, bit_length)
        self.bit_length = bit_length
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
        transform = _normalize_text if self.normalize else None
        size = self.bit_length // 8
        digests = [
            hashlib.sha1(
                compared_text(self.name, row, keys, transform).encode("utf-8"),
                usedforsecurity=False,
            ).digest()[:size]
            for row in rows
        ]
        verdicts: list[bool | tuple[bool, str]] = []
        for row, digest, owner in zip(rows, digests, self.state.claim(digests), strict=True):
            if owner is None:
                if output_key is not None:
                    row[output_key] = 1
                verdicts.append(True)
            else:
                verdicts.append((False, f"duplicate of {owner} (sha1 {digest.hex()})"))
        return verdicts
