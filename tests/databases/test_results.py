from __future__ import annotations

import datetime as dt
from decimal import Decimal

from streamflow.databases import (
    QueryOutcome,
    QueryResult,
    canonical_value,
    compare_outcomes,
    result_signature,
    results_equal,
)
from streamflow.databases.errors import QueryError


def _result(*rows: tuple, columns: int = 2) -> QueryResult:
    return QueryResult(tuple(f"c{i}" for i in range(columns)), list(rows))


def test_engine_types_meet_in_one_form() -> None:
    assert canonical_value(Decimal("1.98")) == canonical_value(1.98)
    assert canonical_value(Decimal("2328.60")) == canonical_value(2328.5999999999894)
    assert canonical_value(Decimal("3")) == 3 and canonical_value(3.0) == 3
    assert canonical_value(True) == 1
    stamp = dt.datetime(2009, 1, 1)
    assert canonical_value(stamp) == "2009-01-01 00:00:00"
    assert canonical_value(dt.date(2009, 1, 1)) == "2009-01-01"
    assert canonical_value(memoryview(b"ab")) == b"ab"
    assert canonical_value(0.1) != canonical_value(0.1000001)


def test_rows_compare_as_multisets_unless_ordered() -> None:
    a = _result((1, "x"), (2, "y"), (2, "y"))
    assert results_equal(a, _result((2, "y"), (1, "x"), (2, "y")))
    assert not results_equal(a, _result((2, "y"), (1, "x"), (2, "y")), ordered=True)
    assert not results_equal(a, _result((1, "x"), (2, "y")))  # duplicates count
    assert not results_equal(a, _result((1,), (2,), (2,), columns=1))
    assert results_equal(_result((Decimal("1.50"), None)), _result((1.5, None)))


def test_signature_agrees_with_equality() -> None:
    a = _result((1, Decimal("2.5")), (3, None))
    b = _result((3, None), (1.0, 2.5))
    assert result_signature(a) == result_signature(b)
    assert result_signature(a) != result_signature(_result((1, 2.5)))


def test_dataflow_comparison_record() -> None:
    ok = QueryOutcome("q1", _result((1, 2)))
    same = QueryOutcome("q2", _result((1, 2)))
    other = QueryOutcome("q3", _result((1, 3)))
    failed = QueryOutcome("q4", failure=QueryError("no such column: z"))
    assert compare_outcomes(ok, same)["equal"]
    assert compare_outcomes(ok, other) == {
        "equal": False,
        "differences": ["Rows differ"],
        "result1_success": True,
        "result2_success": True,
    }
    record = compare_outcomes(ok, failed)
    assert not record["equal"] and not record["result2_success"]
    assert record["differences"] == ["Query 2 failed: no such column: z"]
    assert failed.data == [] and failed.error_kind == "error" and not failed.success
