"""The same questions give the same answers on SQLite, DuckDB, PostgreSQL and MariaDB.

Each question is written once in SQLite's dialect and transpiled by sqlglot (``identify=True``:
Chinook's names are mixed-case). Results compare by value: PostgreSQL's Decimal and SQLite's
float, a timestamp and its text, are the same answer (see streamflow.databases.results)."""

from __future__ import annotations

import pytest
from chinook_queries import QUESTIONS, Question

from streamflow.databases import Database, open_database, results_equal

sqlglot = pytest.importorskip("sqlglot")


def test_there_are_at_least_thirty_questions() -> None:
    assert len(QUESTIONS) >= 30
    assert len({q.name for q in QUESTIONS}) == len(QUESTIONS)


@pytest.fixture(scope="module")
def sqlite_answers(chinook_sqlite) -> dict[str, object]:
    with open_database(chinook_sqlite) as db:
        return {q.name: db.execute(q.sql) for q in QUESTIONS}


@pytest.mark.parametrize("backend", ["duckdb", "postgres", "mysql"])
@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.name)
def test_same_answer_as_sqlite(
    backend: str, question: Question, chinook: Database, sqlite_answers: dict
) -> None:
    sql = sqlglot.transpile(question.sql, read="sqlite", write=chinook.dialect, identify=True)[0]
    result = chinook.execute(sql)
    expected = sqlite_answers[question.name]
    assert expected.row_count > 0, "a question with no answer proves nothing"
    assert results_equal(result, expected, ordered=question.ordered), (
        f"{backend} differs from SQLite on {question.name}:\n{sql}\n"
        f"{result.rows[:5]}\nvs\n{expected.rows[:5]}"
    )
