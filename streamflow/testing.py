"""Helpers for testing operators without a pipeline: call a hook as the runtime would."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from streamflow.actors.base import Operator
from streamflow.rows import Batch, Outcome, Row, current_row_ids


def apply(
    op: Operator, rows: Sequence[Row], ids: Sequence[str] | None = None, **keys: Any
) -> Outcome:
    """Run ``op``'s (synchronous) hook on ``rows`` with their ids set, and check the contract.

    Returns the :class:`~streamflow.rows.Outcome`: the rows that leave, the dropped ones with
    their reasons and the failed ones.
    """
    batch = Batch(
        list(ids) if ids is not None else [f"row:{i}" for i in range(len(rows))], list(rows)
    )
    token = current_row_ids.set(batch.ids)
    try:
        result = op.hook(batch.rows, **keys)
    finally:
        current_row_ids.reset(token)
    if inspect.isawaitable(result):
        raise TypeError(f"{op.name}'s hook is async: run it through a Pipeline session")
    return op.outcome(batch, op.check_results(batch.rows, result))
