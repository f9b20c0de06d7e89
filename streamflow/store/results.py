"""An expensive step's per-row results in the run store, kept so a resumed run replays them.

A result is what the step's hook returned for one row (a dict, a filter's verdict, a list of
new rows, or a :class:`~streamflow.rows.Failure`), stored under the step's fingerprint and the
row id. A filter's row goes along, since a filter may have written score fields into it. A
transient failure (retries or time ran out) is not stored, so a resumed run tries that row
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamflow.rows import Failure, Row
from streamflow.store.runstore import RunStore


@dataclass
class StoredResults:
    """An expensive step's per-row results in the run store (blocking: call from a thread)."""

    store: RunStore
    step: str

    def get(self, ids: list[str]) -> list[tuple[Any, Row | None] | None]:
        """Per id: (result, the row as the hook left it, for filters) or None if not stored."""
        stored = self.store.get_results(self.step, ids)
        return [None if r is None else decode_result(r) for r in stored]

    def put(self, ids: list[str], results: list[Any], rows: list[Row] | None) -> None:
        """Store final results; ``rows`` (a filter's, which may carry score fields) go along."""
        items = [
            (row_id, encode_result(r, rows[i] if rows is not None else None))
            for i, (row_id, r) in enumerate(zip(ids, results, strict=True))
            if not (isinstance(r, Failure) and r.transient)  # retried on resume
        ]
        if items:
            self.store.put_results(self.step, items)


def encode_result(result: Any, row: Row | None) -> list[Any]:
    if isinstance(result, Failure):
        return ["failure", result.reason, row]
    if isinstance(result, tuple):
        return ["tuple", list(result), row]
    return ["value", result, row]


def decode_result(encoded: list[Any]) -> tuple[Any, Row | None]:
    tag, value, row = encoded
    if tag == "failure":
        return Failure(value), row
    if tag == "tuple":
        return tuple(value), row
    return value, row
