"""CCNetParagraphDeduplicateRefiner: CCNet's paragraph deduplication (streamflow's own).

CCNet (Wenzek et al., 2019) removes, from every document of a shard, the paragraphs (lines)
already seen in an earlier document: boilerplate, navigation menus, cookie notices and legal
footers repeated over thousands of pages go, and the text that is unique to a page stays.
DataFlow's :class:`~streamflow.operators.text_pt.ccnet_dedup.CCNetDeduplicateFilter` hashes
whole documents; this refiner does the paragraph step it leaves out.

Each line of ``input_key`` is normalised as CCNet compares it (:func:`normalize_for_dedup`:
lower case, digits as ``0``, CJK and typographic punctuation removed), hashed with SHA-1
truncated to ``bit_length`` bits, and kept only where no earlier row (nor an earlier line of the
same row) had the same hash. Blank lines are kept as they are, and so are lines shorter than
``min_length`` characters after normalisation (a lone "0" or "ok" is not boilerplate worth
removing). The rewritten text replaces ``input_key``, or goes to ``output_key`` when given. A row
left without any text keeps an empty string: a later filter drops it with its reason.

The hashes live in the run store (like every streamflow dedup index), keyed by the row that
saw each line first: a resumed run decides exactly as before, and an incremental run removes
the paragraphs of every earlier run. The step is stateful: one worker, rows in input order.
"""

from __future__ import annotations

import hashlib

from streamflow.actors.base import Refiner
from streamflow.operators.fields import text_field
from streamflow.operators.text_pt.ccnet_dedup import check_bit_length, normalize_for_dedup
from streamflow.rows import Row
from streamflow.store.state import MemoryState, OperatorState

__all__ = ["CCNetParagraphDeduplicateRefiner"]


class CCNetParagraphDeduplicateRefiner(Refiner):
    """Removes from each text the lines an earlier row (or line) already had, as CCNet does."""

    stateful = True

    def __init__(self, bit_length: int = 64, min_length: int = 0) -> None:
        check_bit_length(self.name, bit_length)
        if min_length < 0:
            raise ValueError(f"{self.name}: min_length must be >= 0, got {min_length}")
        self.bit_length = bit_length
        self.min_length = min_length
        self.state: OperatorState = MemoryState()

    def open_state(self, state: OperatorState) -> None:
        self.state = state

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str | None = None
    ) -> list[Row]:
        size = self.bit_length // 8
        lines_per_row = [text_field(self.name, row, input_key).split("\n") for row in rows]
        # per row: the index of each line that takes part, and its hash
        candidates: list[list[tuple[int, bytes]]] = []
        for lines in lines_per_row:
            hashed = []
            for i, line in enumerate(lines):
                normal = normalize_for_dedup(line)
                if normal and len(normal) >= self.min_length:
                    digest = hashlib.sha1(normal.encode("utf-8"), usedforsecurity=False)
                    hashed.append((i, digest.digest()[:size]))
            candidates.append(hashed)
        owners = self.state.claim_each([[key for _, key in hashed] for hashed in candidates])
        out: list[Row] = []
        for row, lines, hashed, owned in zip(rows, lines_per_row, candidates, owners, strict=True):
            drop: set[int] = set()
            seen: set[bytes] = set()
            for (i, key), owner in zip(hashed, owned, strict=True):
                if owner is not None or key in seen:  # an earlier row's, or an earlier line's
                    drop.add(i)
                seen.add(key)
            text = "\n".join(line for i, line in enumerate(lines) if i not in drop)
            out.append({**row, output_key or input_key: text.strip("\n") if drop else text})
        return out
