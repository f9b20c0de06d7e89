"""SQLite: a file opened in read-only URI mode, guarded by an authorizer.

Read-only is enforced three ways by the connection itself: the file is opened with
``mode=ro``; an authorizer lets statements read (SELECT, table reads, functions, recursive CTEs
and the introspection PRAGMAs) and denies everything else, including temporary tables and
setting a PRAGMA; and the limit on attached databases is zero, which also stops ``VACUUM INTO``
(SQLite compiles it as an ATTACH, and a read-only file mode alone does not prevent either from
creating a new file). The time limit is a progress handler that aborts the statement once its
deadline passes; it covers fetching too. Text that is not valid UTF-8 (some Spider/BIRD files
hold Latin-1) is decoded with replacement characters instead of failing the query.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from pathlib import Path
from typing import Any

from streamflow.databases.base import SCHEMA_TIMEOUT, Database
from streamflow.databases.errors import (
    DatabaseError,
    QueryError,
    QueryTimeout,
    ReadOnlyViolation,
)
from streamflow.databases.schema import Column, ForeignKey, Schema, Table, json_safe

__all__ = ["SQLiteDatabase"]

# Authorizer action codes (sqlite3.h); Python does not export all of them under these names.
_SELECT, _READ, _FUNCTION, _RECURSIVE, _PRAGMA = 21, 20, 31, 33, 19
_ALLOWED_ACTIONS = frozenset({_SELECT, _READ, _FUNCTION, _RECURSIVE})

# PRAGMAs that take a table/index/schema name and only report: allowed with an argument.
_INTROSPECTION_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "database_list",
        "collation_list",
        "function_list",
        "module_list",
        "pragma_list",
        "compile_options",
    }
)
# PRAGMAs that read a setting when given no value (a value would change it): allowed bare.
_READABLE_PRAGMAS = _INTROSPECTION_PRAGMAS | {
    "application_id",
    "auto_vacuum",
    "cache_size",
    "encoding",
    "foreign_keys",
    "freelist_count",
    "journal_mode",
    "page_count",
    "page_size",
    "query_only",
    "schema_version",
    "user_version",
    "quick_check",
    "integrity_check",
}
_PROGRESS_STEPS = 1000  # VM instructions between deadline checks (microseconds apart)


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == _PRAGMA and arg1 is not None:
        name = arg1.lower()
        if name in _INTROSPECTION_PRAGMAS or (arg2 is None and name in _READABLE_PRAGMAS):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _decode_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class SQLiteDatabase(Database):
    """A SQLite file, read-only. ``db_id`` defaults to the file name without its suffix."""

    dialect = "sqlite"
    explain_prefix = "EXPLAIN QUERY PLAN "

    def __init__(self, path: str | Path, db_id: str | None = None, **options: Any) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise DatabaseError(f"SQLite database {self.path} does not exist")
        super().__init__(db_id or self.path.stem, **options)

    def _connect(self) -> sqlite3.Connection:
        uri = "file:" + urllib.parse.quote(str(self.path)) + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open SQLite database {self.path}: {exc}") from exc
        conn.text_factory = _decode_text
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.set_authorizer(_authorize)
        return conn

    def _run(
        self, conn: sqlite3.Connection, sql: str, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        deadline = time.monotonic() + timeout
        conn.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
        cursor = None
        try:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchmany(max_rows + 1) if columns else []
        except (sqlite3.Error, sqlite3.Warning, OverflowError, ValueError) as exc:
            raise self._classify(exc, deadline) from exc
        finally:
            if cursor is not None:
                cursor.close()
            conn.set_progress_handler(None, 0)
        truncated = len(rows) > max_rows
        return columns, rows[:max_rows], truncated

    @staticmethod
    def _classify(exc: Exception, deadline: float) -> QueryError:
        message = str(exc)
        if "interrupted" in message and time.monotonic() >= deadline:
            return QueryTimeout(f"query stopped at its time limit ({message})")
        lowered = message.lower()
        if "authoriz" in lowered or "readonly" in lowered or "read-only" in lowered:
            return ReadOnlyViolation(f"refused by the read-only connection: {message}")
        if "too many attached" in lowered:
            return ReadOnlyViolation(f"refused by the read-only connection: {message}")
        return QueryError(message)

    def _read_schema(self, conn: sqlite3.Connection) -> Schema:
        deadline = time.monotonic() + SCHEMA_TIMEOUT
        conn.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
        try:
            listing = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            ).fetchall()
            tables = [self._read_table(conn, name, ddl or "") for name, ddl in listing]
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.db_id}: cannot read the schema: {exc}") from exc
        finally:
            conn.set_progress_handler(None, 0)
        return Schema(self.db_id, self.dialect, tuple(tables))

    def _read_table(self, conn: sqlite3.Connection, name: str, ddl: str) -> Table:
        q = '"' + name.replace('"', '""') + '"'
        info = conn.execute(f"PRAGMA table_info({q})").fetchall()
        pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
        fks = tuple(
            ForeignKey(row[3], row[2], row[4] or (pk[0] if pk else row[3]))
            for row in conn.execute(f"PRAGMA foreign_key_list({q})").fetchall()
        )
        columns = []
        for _cid, col, type_, notnull, _default, is_pk in info:
            examples = self._examples(conn, q, col)
            columns.append(Column(col, type_ or "", not notnull, bool(is_pk), examples))
        sample = (
            self.sample_rows
            and conn.execute(f"SELECT * FROM {q} LIMIT {int(self.sample_rows)}").fetchall()
        )
        rows = tuple(tuple(json_safe(v) for v in r) for r in sample or ())
        return Table(name, tuple(columns), tuple(pk), fks, rows, ddl)

    def _examples(self, conn: sqlite3.Connection, table: str, column: str) -> tuple[Any, ...]:
        if not self.example_values:
            return ()
        c = '"' + column.replace('"', '""') + '"'
        try:
            found = conn.execute(
                f"SELECT DISTINCT {c} FROM {table} WHERE {c} IS NOT NULL "
                f"LIMIT {int(self.example_values)}"
            ).fetchall()
        except sqlite3.Error:  # a column type SQLite cannot compare (rare): no examples
            return ()
        return tuple(json_safe(v[0]) for v in found)
