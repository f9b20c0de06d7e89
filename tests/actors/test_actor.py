"""One retry path for every hook: a raising batch is retried row by row, the same way whether
the hook is synchronous (fused, in a worker thread) or awaited."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from streamflow import Failure, Generator, OperatorContractError
from streamflow.actors.actor import BoundOp, _hook_results_async, _hook_results_sync
from streamflow.channels.stats import OperatorStats
from streamflow.rows import Row, row_ids


class SyncTag(Generator):
    """Fails any call that holds a row with ``n == 2``; records the ids of every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def process(self, rows: list[Row], input_key: str) -> list[Any]:
        self.calls.append(list(row_ids()))
        if any(r[input_key] == 2 for r in rows):
            raise ValueError("two is unlucky")
        if any(r[input_key] == 99 for r in rows):
            return rows[:-1]  # one result short: a broken contract
        return [{**r, "seen": row_ids()} for r in rows]


class AsyncTag(SyncTag):
    async def process(self, rows: list[Row], input_key: str) -> list[Any]:  # type: ignore[override]
        await anyio.sleep(0)
        return SyncTag.process(self, rows, input_key)


def results(op: SyncTag, n: list[int], how: str) -> list[Any]:
    bound = BoundOp(op, {"input_key": "n"}, OperatorStats("tag", op.kind))
    ids = [f"id{i}" for i in n]
    rows = [{"n": i} for i in n]
    if how == "sync":
        return _hook_results_sync(bound, ids, rows)
    return anyio.run(_hook_results_async, bound, ids, rows)


@pytest.mark.parametrize(
    ("make", "how"), [(SyncTag, "sync"), (AsyncTag, "async"), (SyncTag, "thread")]
)
def test_a_raising_batch_is_retried_row_by_row(make: type[SyncTag], how: str) -> None:
    op = make()
    out = results(op, [1, 2, 3], how)
    assert op.calls == [["id1", "id2", "id3"], ["id1"], ["id2"], ["id3"]]
    assert out[0] == {"n": 1, "seen": ["id1"]} and out[2] == {"n": 3, "seen": ["id3"]}
    failure = out[1]
    assert isinstance(failure, Failure) and failure.transient
    assert failure.reason.startswith("ValueError: two is unlucky (at ")
    assert "test_actor.py" in failure.reason  # the hook's own line, to find the bug


@pytest.mark.parametrize(("make", "how"), [(SyncTag, "sync"), (AsyncTag, "async")])
def test_a_batch_that_succeeds_is_called_once(make: type[SyncTag], how: str) -> None:
    op = make()
    assert [r["seen"] for r in results(op, [1, 3], how)] == [["id1", "id3"]] * 2
    assert op.calls == [["id1", "id3"]]


@pytest.mark.parametrize(("make", "how"), [(SyncTag, "sync"), (AsyncTag, "async")])
def test_a_broken_contract_is_a_bug_not_a_row_failure(make: type[SyncTag], how: str) -> None:
    with pytest.raises(OperatorContractError, match="one entry per input row"):
        results(make(), [1, 99], how)
