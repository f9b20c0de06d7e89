"""SQLExecutabilityFilter and SQLExecutionFilter on a real SQLite database."""

from __future__ import annotations

from streamflow.operators.text2sql import SQLExecutabilityFilter, SQLExecutionFilter
from streamflow.testing import apply

ROWS = [
    {"db_id": "chinook", "SQL": "SELECT Name FROM Genre WHERE GenreId < 3"},
    {"db_id": "chinook", "SQL": "-- a comment first\nSELECT Name FROM Genre UNION SELECT 'x'"},
    {"db_id": "chinook", "SQL": "SELECT Nome FROM Genre"},
    {"db_id": "chinook", "SQL": "INSERT INTO Genre VALUES (99, 'x')"},
    {"db_id": "chinook", "SQL": "SELECT 1; SELECT 2"},
    {"db_id": "chinook", "SQL": "SELECT FROM WHERE ((("},
    {"db_id": "chinook", "SQL": ""},
    {"db_id": "nope", "SQL": "SELECT 1"},
    {"db_id": "chinook", "SQL": "SELECT abs(-9223372036854775808)"},
]


def _reasons(out) -> list[str]:
    return [d.reason for d in out.dropped]


def test_executability_filter_reasons(manager) -> None:
    out = apply(SQLExecutabilityFilter(manager), ROWS)
    assert [r["SQL"] for r in out.batch.rows] == [ROWS[0]["SQL"], ROWS[1]["SQL"], ROWS[8]["SQL"]]
    reasons = _reasons(out)
    assert reasons[0].startswith("EXPLAIN failed (error): no such column: Nome")
    assert reasons[1] == "not a query: INSERT statement"
    assert reasons[2] == "2 statements; one query expected"
    assert reasons[3].startswith("sqlglot cannot parse it as sqlite")
    assert reasons[4] == "no SQL (the answer holds no query)"
    assert reasons[5].startswith("unknown database 'nope'")


def test_execution_catches_what_explain_cannot(manager) -> None:
    """An integer overflow happens when the query runs; EXPLAIN QUERY PLAN accepts it."""
    out = apply(SQLExecutabilityFilter(manager, use_explain=False), ROWS)
    assert len(out.batch.rows) == 2
    assert "integer overflow" in _reasons(out)[-1]


def test_execution_filter_stops_runaway_queries(manager) -> None:
    endless = (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r"
    )
    rows = [
        {"db_id": "chinook", "SQL": endless},
        {"db_id": "shop", "SQL": "SELECT * FROM customer"},
    ]
    out = apply(SQLExecutionFilter(manager), rows)
    assert out.batch.rows == [rows[1]]
    assert out.dropped[0].reason.startswith("execution failed (timeout)")
    assert out.dropped[0].operator == "SQLExecutionFilter"
