"""Comparing query results the way execution accuracy does: by value, not by engine type.

Engines return the same answer in different Python types: PostgreSQL a ``Decimal`` where SQLite
returns a float, a ``datetime`` where SQLite stores text, ``True`` where SQLite returns 1.
:func:`canonical_value` maps each to one form (numbers to int/float rounded to 12 significant
digits, which absorbs the last-bit differences between a float sum and an exact numeric one;
timestamps to ``YYYY-MM-DD HH:MM:SS`` text), so results compare equal across engines.
As in Spider and BIRD, columns compare by position (names ignored) and rows as a multiset unless
order is asked for. :func:`result_signature` is the hashable form used to vote on results.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections import Counter
from typing import Any

from streamflow.databases.base import QueryOutcome, QueryResult

__all__ = [
    "canonical_rows",
    "canonical_value",
    "compare_outcomes",
    "result_signature",
    "results_equal",
]

_DIGITS = 12


def canonical_value(value: Any) -> Any:
    """One comparable, hashable form per value, whatever engine produced it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value)
        if value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        value = float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        rounded = float(f"{value:.{_DIGITS}g}")
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value if isinstance(value, bytes) else str(value)


def canonical_rows(result: QueryResult) -> list[tuple[Any, ...]]:
    return [tuple(canonical_value(v) for v in row) for row in result.rows]


def results_equal(a: QueryResult, b: QueryResult, *, ordered: bool = False) -> bool:
    """Same number of columns and the same rows (as a multiset, or in order if ``ordered``)."""
    if len(a.columns) != len(b.columns) or a.row_count != b.row_count:
        return False
    rows_a, rows_b = canonical_rows(a), canonical_rows(b)
    if ordered:
        return rows_a == rows_b
    return Counter(rows_a) == Counter(rows_b)


def result_signature(result: QueryResult) -> tuple[int, frozenset[tuple[tuple[Any, ...], int]]]:
    """Hashable: equal for results that :func:`results_equal` calls equal (unordered)."""
    return len(result.columns), frozenset(Counter(canonical_rows(result)).items())


def compare_outcomes(first: QueryOutcome, second: QueryOutcome) -> dict[str, Any]:
    """DataFlow's comparison record: ``equal``, ``differences``, ``result1_success``,
    ``result2_success``."""
    out: dict[str, Any] = {
        "equal": False,
        "differences": [],
        "result1_success": first.success,
        "result2_success": second.success,
    }
    if first.result is None or second.result is None:
        for n, outcome in ((1, first), (2, second)):
            if outcome.failure is not None:
                out["differences"].append(f"Query {n} failed: {outcome.error}")
        return out
    a, b = first.result, second.result
    if a.row_count != b.row_count:
        out["differences"].append(f"Row count mismatch: {a.row_count} vs {b.row_count}")
    elif len(a.columns) != len(b.columns):
        out["differences"].append(f"Column count mismatch: {len(a.columns)} vs {len(b.columns)}")
    elif results_equal(a, b):
        out["equal"] = True
    else:
        out["differences"].append("Rows differ")
    return out
