"""The SQL execution steps keep their databases' connections busy across batch boundaries
(issue 20): one slow query per batch must not leave a connection idle while rows remain.

The database is a real SQLite file; a slow query calls ``sleep_ms``, a function registered on
each connection (real SQLite calling back into Python, with no CPU spent while it waits)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import Chain, killed_twice_then_resumed, read_jsonl, resumable_command, write_jsonl

from streamflow.databases import DatabaseManager, QueryOutcome
from streamflow.databases.sqlite import SQLiteDatabase
from streamflow.operators.text2sql import (
    SQLExecutabilityFilter,
    SQLExecutionFilter,
    Text2SQLCoTVotingGenerator,
)

pytest.importorskip("sqlglot")

LIMIT = 2
BATCH = 16
ROWS = 6 * BATCH


def sleep_ms(ms: int) -> int:
    time.sleep(ms / 1000)
    return ms


@pytest.fixture(autouse=True)
def sleepy_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite connection opened in the test gets ``sleep_ms(ms)``."""
    connect = SQLiteDatabase._connect

    def with_sleep(self: SQLiteDatabase) -> sqlite3.Connection:
        conn = connect(self)
        conn.create_function("sleep_ms", 1, sleep_ms, deterministic=True)
        return conn

    monkeypatch.setattr(SQLiteDatabase, "_connect", with_sleep)


def make_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);")
    conn.commit()
    conn.close()
    return path


class CountedManager(DatabaseManager):
    """Notes, at the end of each query, how many other queries were running or waiting for a
    connection (asked for and not finished), and how many were not asked for yet."""

    def __init__(self, queries: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queries, self.made, self.finished = queries, 0, 0
        self.at_each_end: list[tuple[int, int]] = []  # (other queries asked for, not asked)

    async def aattempt(self, db_id: str, sql: str, **limits: Any) -> QueryOutcome:
        self.made += 1
        try:
            return await super().aattempt(db_id, sql, **limits)
        finally:
            self.at_each_end.append((self.made - self.finished - 1, self.queries - self.made))
            self.finished += 1

    def idle(self, limit: int) -> list[tuple[int, int]]:
        """The ends that left a connection free with nothing waiting while queries remained."""
        return [(other, left) for other, left in self.at_each_end if left and other < limit]


def query(n: int) -> str:
    """Row ``n``'s query: the first of each batch sleeps 0.4 s, the others 5 ms; row 6's
    names a column that is not there (dropped); row 9's is not a query (dropped)."""
    if n == 6:
        return "SELECT nope FROM t"
    if n == 9:
        return "DELETE FROM t"
    return f"SELECT {n} AS n, sleep_ms({400 if n % BATCH == 0 else 5}) AS slept"


def run_filter(tmp_path: Path, manager: DatabaseManager, op: Any, **options: Any) -> list[dict]:
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"n": n, "db_id": "db", "SQL": query(n)} for n in range(ROWS)]
    )
    out = tmp_path / "out.jsonl"
    Chain(
        [(op, {"input_sql_key": "SQL", "input_db_id_key": "db_id"})],
        first_entry_file_name=str(src),
        output_file=str(out),
    ).run(batch_size=BATCH, **options)
    return read_jsonl(out)


def counted(tmp_path: Path) -> CountedManager:
    db = make_db(tmp_path / "db.sqlite")
    queries = ROWS - 1  # row 9 is refused by the parse and never reaches the database
    return CountedManager(queries, source={"db": db}, max_connections=LIMIT, timeout=30)


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_connections_stay_busy_while_a_batch_waits_on_its_slow_query(
    tmp_path: Path, ordered: bool
) -> None:
    manager = counted(tmp_path)
    op = SQLExecutionFilter(manager)
    assert op.admission_limit == LIMIT and op.expensive
    rows = run_filter(tmp_path, manager, op, ordered=ordered)
    kept = [n for n in range(ROWS) if n not in (6, 9)]
    got = [r["n"] for r in rows]
    assert (got if ordered else sorted(got)) == kept
    assert not manager.idle(LIMIT), manager.idle(LIMIT)
    assert manager.made == ROWS - 1


def test_a_chosen_worker_count_keeps_whole_batches_and_their_idle_connections(
    tmp_path: Path,
) -> None:
    """The measure above sees idling where it happens: one worker on one batch at a time,
    whose fast queries end long before its slow one while the next batch waits."""
    manager = counted(tmp_path)
    rows = run_filter(tmp_path, manager, SQLExecutionFilter(manager).options(workers=1))
    assert [r["n"] for r in rows] == [n for n in range(ROWS) if n not in (6, 9)]
    assert manager.idle(1)


def test_drop_reasons_are_unchanged_by_the_window(tmp_path: Path) -> None:
    from streamflow.testing import apply

    manager = counted(tmp_path)
    rows = [{"db_id": "db", "SQL": query(n)} for n in (6, 9)] + [{"db_id": "x", "SQL": "SELECT 1"}]
    out = apply(SQLExecutionFilter(manager), rows)
    reasons = [d.reason for d in out.dropped]
    assert reasons[0].startswith("execution failed (error): no such column: nope")
    assert reasons[1] == "not a query: DELETE statement"
    assert reasons[2].startswith("unknown database 'x'")
    explain = SQLExecutabilityFilter(manager)
    assert explain.admission_limit == LIMIT and explain.expensive


def test_the_window_follows_the_connections_in_chunks_of_eight(tmp_path: Path) -> None:
    from streamflow.actors.actor import BoundOp, Window, window_for
    from streamflow.channels.stats import OperatorStats

    db = make_db(tmp_path / "db.sqlite")
    op = SQLExecutionFilter(DatabaseManager(source={"db": db}, max_connections=8))
    bound = [BoundOp(op, {}, OperatorStats("s", op.kind))]
    assert window_for(bound, 256) == Window(8, 16)  # 128 queries under way on 8 connections
    assert window_for([BoundOp(op.options(workers=1), {}, bound[0].stats)], 256) is None


def test_the_voting_generator_is_windowed_and_fails_rows_as_before(tmp_path: Path) -> None:
    """Voting runs each trace's query: windowed on the connections too; a row whose traces
    hold no query that runs is a dead letter, the others keep their order."""
    manager = counted(tmp_path)
    manager.queries = ROWS  # one distinct query per row
    op = Text2SQLCoTVotingGenerator(manager)
    assert op.admission_limit == LIMIT and op.expensive

    def traces(n: int) -> list[str]:
        sql = "SELECT nope FROM t" if n == 3 else query(n if n not in (6, 9) else 1)
        return [f"Step by step.\n```sql\n{sql}\n```"] * 2

    rows = [{"n": n, "db_id": "db", "cot_responses": traces(n)} for n in range(ROWS)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = Chain(
        [(op, {"input_cot_responses_key": "cot_responses", "input_db_id_key": "db_id"})],
        first_entry_file_name=str(src),
        output_file=str(out),
    ).run(batch_size=BATCH)
    assert [r["n"] for r in read_jsonl(out)] == [n for n in range(ROWS) if n != 3]
    letters = list(result.dead_letters.records())
    assert [(d.row or {})["n"] for d in letters] == [3]
    assert "no trace's query ran" in letters[0].error
    assert not manager.idle(LIMIT), manager.idle(LIMIT)


RESUMABLE = """
import sqlite3
import time
from pathlib import Path

from streamflow import FileStorage, Pipeline
from streamflow.databases import DatabaseManager
from streamflow.databases.sqlite import SQLiteDatabase
from streamflow.operators.text2sql import SQLExecutionFilter

if not Path("db.sqlite").exists():
    conn = sqlite3.connect("db.sqlite")
    conn.executescript("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);")
    conn.commit()
    conn.close()

connect = SQLiteDatabase._connect


def with_sleep(self):
    conn = connect(self)
    conn.create_function("sleep_ms", 1, lambda ms: time.sleep(ms / 1000) or ms)
    return conn


SQLiteDatabase._connect = with_sleep


class Logged(DatabaseManager):
    async def aattempt(self, db_id, sql, **limits):
        with open("calls.txt", "a") as log:
            log.write(sql.split()[1].rstrip(",") + "\\n")
        return await super().aattempt(db_id, sql, **limits)


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        manager = Logged(source={"db": "db.sqlite"}, max_connections=4, timeout=30)
        self.run_sql = SQLExecutionFilter(manager)

    def forward(self):
        self.run_sql.run(self.storage.step(), input_sql_key="SQL", input_db_id_key="db_id")
"""


def resumable_row(n: int) -> dict[str, Any]:
    """Row 0 of each 10 sleeps 0.2 s, the others 5 ms; rows 13 (mod 100) name no column."""
    if n % 100 == 13:
        return {"n": n, "db_id": "db", "SQL": f"SELECT {n}, nope FROM t"}
    return {"n": n, "db_id": "db", "SQL": f"SELECT {n}, sleep_ms({200 if n % 10 == 0 else 5})"}


def test_kill_and_resume_of_a_windowed_sql_stage_is_exact(tmp_path: Path) -> None:
    """Killed twice and resumed, the output equals an uninterrupted run's, every query ran,
    and the queries run again are bounded by the rows under way in the window."""
    from streamflow.actors.actor import BoundOp, window_for
    from streamflow.channels.stats import OperatorStats

    n = 600
    whole, killed = killed_twice_then_resumed(
        tmp_path, RESUMABLE, n, resumable_command(16), resumable_row
    )
    out = read_jsonl(killed / "out.jsonl")
    assert out == read_jsonl(whole / "out.jsonl")
    assert [r["n"] for r in out] == [i for i in range(n) if i % 100 != 13]
    calls = (killed / "calls.txt").read_text().split()
    assert set(calls) == {str(i) for i in range(n)}
    op = SQLExecutionFilter(DatabaseManager(source={"db": make_db(tmp_path / "d.sqlite")}))
    window = window_for([BoundOp(op, {}, OperatorStats("s", op.kind))], 16)
    assert window is not None
    assert len(calls) <= n + 2 * window.chunks * window.chunk, len(calls)
