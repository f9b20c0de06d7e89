"""DuckDB: a database file opened read-only with file access switched off.

The connection is opened with ``read_only=True`` (writes to the database are refused),
``enable_external_access=false`` (no COPY TO, no ATTACH, no reading or writing other files, no
extension downloads) and ``lock_configuration=true`` (a query cannot switch those back). Each
query runs on its own cursor, so a TEMP table a query makes (DuckDB allows those, in memory)
disappears with it and never shadows a table for the next query. The time limit is
``interrupt()`` from a timer; rows are fetched lazily, so a 10-million-row result costs only the
rows under the cap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamflow.databases._deps import require_driver
from streamflow.databases.base import SCHEMA_TIMEOUT, Database, Watchdog
from streamflow.databases.errors import (
    DatabaseError,
    QueryError,
    QueryTimeout,
    ReadOnlyViolation,
)
from streamflow.databases.schema import Column, ForeignKey, Schema, Table, json_safe

__all__ = ["DuckDBDatabase"]


class DuckDBDatabase(Database):
    """A DuckDB file, read-only. ``db_id`` defaults to the file name without its suffix."""

    dialect = "duckdb"

    def __init__(self, path: str | Path, db_id: str | None = None, **options: Any) -> None:
        self._duckdb = require_driver("duckdb", "DuckDB")
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise DatabaseError(f"DuckDB database {self.path} does not exist")
        super().__init__(db_id or self.path.stem, **options)

    def _connect(self) -> Any:
        try:
            return self._duckdb.connect(
                str(self.path),
                read_only=True,
                config={"enable_external_access": False, "lock_configuration": True},
            )
        except self._duckdb.Error as exc:
            raise DatabaseError(f"cannot open DuckDB database {self.path}: {exc}") from exc

    def _run(
        self, conn: Any, sql: str, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        cursor = conn.cursor()
        watchdog = Watchdog(timeout, cursor.interrupt)
        try:
            with watchdog:
                cursor.execute(sql)
                columns = [d[0] for d in cursor.description or ()]
                rows = cursor.fetchmany(max_rows + 1) if columns else []
        except self._duckdb.Error as exc:
            raise self._classify(exc, watchdog.fired) from exc
        finally:
            cursor.close()
        return columns, rows[:max_rows], len(rows) > max_rows

    def _classify(self, exc: Exception, timed_out: bool) -> QueryError:
        message = str(exc).strip()
        if timed_out or isinstance(exc, self._duckdb.InterruptException):
            return QueryTimeout(f"query stopped at its time limit ({message})")
        lowered = message.lower()
        if (
            "read-only" in lowered
            or isinstance(exc, self._duckdb.PermissionException)
            or "configuration has been locked" in lowered
        ):
            return ReadOnlyViolation(f"refused by the read-only connection: {message}")
        return QueryError(message)

    def _read_schema(self, conn: Any) -> Schema:
        cur = conn.cursor()
        watchdog = Watchdog(SCHEMA_TIMEOUT, cur.interrupt)
        try:
            with watchdog:
                return self._read_all(cur)
        except self._duckdb.Error as exc:
            raise DatabaseError(f"{self.db_id}: cannot read the schema: {exc}") from exc
        finally:
            cur.close()

    def _read_all(self, cur: Any) -> Schema:
        schema_name, catalog = cur.execute("SELECT current_schema(), current_database()").fetchone()
        names = [
            r[0]
            for r in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? "
                "AND table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
                [catalog, schema_name],
            ).fetchall()
        ]
        constraints = cur.execute(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() WHERE database_name = ? "
            "AND schema_name = ? AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') "
            "ORDER BY table_name, constraint_index",
            [catalog, schema_name],
        ).fetchall()
        tables = [self._read_table(cur, catalog, schema_name, name, constraints) for name in names]
        return Schema(self.db_id, self.dialect, tuple(tables))

    def _read_table(
        self, cur: Any, catalog: str, schema_name: str, name: str, constraints: list[Any]
    ) -> Table:
        pk: list[str] = []
        fks: list[ForeignKey] = []
        for table, kind, cols, ref_table, ref_cols in constraints:
            if table != name:
                continue
            if kind == "PRIMARY KEY":
                pk = list(cols)
            else:
                fks.extend(
                    ForeignKey(c, ref_table, r)
                    for c, r in zip(cols, ref_cols or cols, strict=False)
                )
        q = '"' + name.replace('"', '""') + '"'
        columns = []
        for col, type_, nullable in cur.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [catalog, schema_name, name],
        ).fetchall():
            c = '"' + col.replace('"', '""') + '"'
            examples = ()
            if self.example_values:
                examples = tuple(
                    json_safe(r[0])
                    for r in cur.execute(
                        f"SELECT DISTINCT {c} FROM {q} WHERE {c} IS NOT NULL "
                        f"ORDER BY {c} LIMIT {int(self.example_values)}"
                    ).fetchall()
                )
            columns.append(Column(col, type_, nullable == "YES", col in pk, examples))
        sample = (
            cur.execute(f"SELECT * FROM {q} LIMIT {int(self.sample_rows)}").fetchall()
            if self.sample_rows
            else []
        )
        rows = tuple(tuple(json_safe(v) for v in r) for r in sample)
        return Table(name, tuple(columns), tuple(pk), tuple(fks), rows)
