"""The operator kinds as one enum, and each kind's outcome: the fast path for the common
result type decides exactly as the general path does."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from streamflow import (
    DatasetEvaluator,
    Failure,
    Filter,
    Generator,
    OperatorContractError,
    OperatorKind,
    Refiner,
    RowGenerator,
    SampleEvaluator,
)
from streamflow.actors.base import KIND_CLASSES, KINDS, Operator
from streamflow.rows import Batch, Outcome


def test_one_kind_per_base_class_and_members_equal_their_strings() -> None:
    assert set(KIND_CLASSES) == set(OperatorKind)
    assert all(cls.kind is kind for kind, cls in KIND_CLASSES.items())
    assert (Generator, RowGenerator, Refiner, Filter, SampleEvaluator, DatasetEvaluator) == KINDS
    assert OperatorKind.ROW_GENERATOR == "row_generator" and "filter" in {OperatorKind.FILTER}
    assert json.loads(json.dumps({"kind": Refiner.kind})) == {"kind": "refiner"}
    assert msgspec.json.decode(msgspec.json.encode(SampleEvaluator.kind)) == "sample_evaluator"
    assert OperatorKind("dataset_evaluator") is DatasetEvaluator.kind


class Gen(Generator):
    def process(self, rows: list[dict[str, Any]]) -> list[Any]:
        return rows


class Keep(Filter):
    def process(self, rows: list[dict[str, Any]]) -> list[Any]:
        return [True] * len(rows)


class Split(RowGenerator):
    def process(self, rows: list[dict[str, Any]]) -> list[Any]:
        return [[row] for row in rows]


def batch(n: int) -> Batch:
    return Batch([f"r{i}" for i in range(n)], [{"n": i} for i in range(n)])


class DictSub(dict):  # type: ignore[type-arg]
    """A dict subclass: not the fast path's exact type, accepted by the general path."""


# Per kind: result lists that take the fast path, and ones that mix in what only the general
# path handles (a Failure, a subclass, a tuple verdict). Each pair must decide the same.
CASES: list[tuple[Operator, list[Any]]] = [
    (Gen(), [{"n": 0, "x": 1}, {"n": 1, "x": 2}, {"n": 2, "x": 3}]),
    (Gen(), [{"n": 0}, DictSub(n=1), Failure("bad")]),
    (Keep(), [True, True, True]),
    (Keep(), [True, False, False]),
    (Keep(), [(True, ""), (False, "too short"), Failure("boom")]),
    (Keep(), [1, 0, True]),  # truthiness, as the general path has always read a verdict
    (Split(), [[{"a": 1}, {"a": 2}], [], [{"a": 3}]]),
    (Split(), [({"a": 1},), [], Failure("no rows")]),
]


@pytest.mark.parametrize(("op", "results"), CASES)
def test_the_fast_path_decides_as_the_general_path(op: Operator, results: list[Any]) -> None:
    fast = op.outcome(batch(3), list(results))
    general = op.outcome_per_row(batch(3), list(results))
    assert _plain(fast) == _plain(general)


@pytest.mark.parametrize(
    ("op", "results", "message"),
    [
        (Gen(), [{"n": 0}, {"n": 1}, True], "must return dicts"),
        (Split(), [[{"a": 1}], {"a": 2}, {"a": 3}], "list of rows per input row"),
        (Split(), [{"a": 1}, {"a": 2}, {"a": 3}], "list of rows per input row"),
    ],
)
def test_what_the_general_path_refuses_the_fast_path_refuses(
    op: Operator, results: list[Any], message: str
) -> None:
    with pytest.raises(OperatorContractError, match=message):
        op.outcome(batch(3), results)


def test_a_filter_returning_dicts_keeps_its_rows_as_they_were() -> None:
    """Dicts are no verdicts: a non-empty one keeps the row unchanged (truthiness), as the
    general path always did, instead of replacing the row."""
    outcome = Keep().outcome(batch(2), [{"x": 1}, {}])
    assert outcome.batch.rows == [{"n": 0}] and [d.id for d in outcome.dropped] == ["r1"]


def _plain(outcome: Outcome) -> tuple[Any, ...]:
    return (
        outcome.batch.ids,
        outcome.batch.rows,
        [(d.id, d.operator, d.reason) for d in outcome.dropped],
        outcome.failed,
    )
