"""Copy a SQLite database into DuckDB, PostgreSQL or MySQL (the one place that writes).

Spider and BIRD ship SQLite files; these helpers put the same tables and rows into another engine
so that the same questions can run there: the tests load Chinook into each engine this way, and a
user can move a benchmark onto a server. Declared SQLite types map to the target's nearest type
(INTEGER -> BIGINT, NUMERIC(p,s) -> NUMERIC(p,s), NVARCHAR(n) -> VARCHAR(n), DATETIME ->
TIMESTAMP, REAL -> DOUBLE, BLOB -> binary, anything else -> text). Primary keys are kept; foreign
keys are added after the rows (PostgreSQL, MySQL) or declared with tables created in dependency
order (DuckDB, which cannot add them later; there a table that references itself, like Chinook's
Employee.ReportsTo, keeps its rows but loses its foreign keys). DuckDB's own
``ATTACH ... (TYPE sqlite)`` is not used: it downloads an extension at run time, which fails
offline.

A value the target type refuses (SQLite stores anything in any column) raises
:class:`~.errors.DatabaseError` naming the table.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamflow.databases._deps import require_driver
from streamflow.databases.errors import DatabaseError
from streamflow.databases.schema import quote_identifier

__all__ = [
    "copy_sqlite_to_duckdb",
    "copy_sqlite_to_mysql",
    "copy_sqlite_to_postgres",
    "read_sqlite_tables",
    "target_type",
]


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: list[tuple[str, str, bool]]  # name, declared type, not null
    primary_key: list[str]
    foreign_keys: list[tuple[str, str, str]]  # column, ref table, ref column


def read_sqlite_tables(path: str | Path) -> list[SourceTable]:
    """The tables of a SQLite file, parents before the tables that reference them."""
    with _open_sqlite(path) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        tables = {}
        for name in names:
            q = quote_identifier(name, "sqlite")
            info = conn.execute(f"PRAGMA table_info({q})").fetchall()
            pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
            fks = [
                (r[3], r[2], r[4] or (pk[0] if pk else r[3]))
                for r in conn.execute(f"PRAGMA foreign_key_list({q})").fetchall()
            ]
            cols = [(r[1], r[2] or "", bool(r[3])) for r in info]
            tables[name] = SourceTable(name, cols, pk, fks)
    return _dependency_order(tables)


def _dependency_order(tables: dict[str, SourceTable]) -> list[SourceTable]:
    done: list[SourceTable] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name not in tables or name in path:
            return
        for _col, ref, _ in tables[name].foreign_keys:
            visit(ref, (*path, name))
        seen.add(name)
        done.append(tables[name])

    for name in tables:
        visit(name, ())
    return done


def _open_sqlite(path: str | Path) -> sqlite3.Connection:
    file = Path(path).resolve()
    if not file.is_file():
        raise DatabaseError(f"SQLite database {file} does not exist")
    conn = sqlite3.connect("file:" + urllib.parse.quote(str(file)) + "?mode=ro", uri=True)
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    return conn


def _rows(path: str | Path, table: str) -> Iterator[tuple[Any, ...]]:
    with _open_sqlite(path) as conn:
        q = quote_identifier(table, "sqlite")
        cursor = conn.execute(f"SELECT * FROM {q}")
        while chunk := cursor.fetchmany(2000):
            yield from chunk


_SIZED = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


def target_type(declared: str, dialect: str) -> str:
    """The target engine's type for a declared SQLite type (SQLite's affinity rules first)."""
    upper = declared.upper()
    size = _SIZED.search(upper)
    if "INT" in upper:
        return "BIGINT"
    if upper.startswith(("NUMERIC", "DECIMAL")) and size:
        precision, scale = size.group(1), size.group(2) or "0"
        return (
            f"DECIMAL({precision},{scale})"
            if dialect != "postgres"
            else f"NUMERIC({precision},{scale})"
        )
    if any(t in upper for t in ("CHAR", "CLOB", "TEXT")):
        if dialect == "mysql":
            return f"VARCHAR({size.group(1)})" if size else "TEXT"
        return f"VARCHAR({size.group(1)})" if size else "TEXT"
    if "DATETIME" in upper or "TIMESTAMP" in upper:
        return "DATETIME" if dialect == "mysql" else "TIMESTAMP"
    if upper.startswith("DATE"):
        return "DATE"
    if any(t in upper for t in ("REAL", "FLOA", "DOUB")):
        return "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE"
    if "BLOB" in upper:
        return {"postgres": "BYTEA", "mysql": "LONGBLOB"}.get(dialect, "BLOB")
    if upper.startswith(("NUMERIC", "DECIMAL", "BOOL")):
        return "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE"
    return "TEXT"


def _create_table(table: SourceTable, dialect: str, with_fks: bool) -> str:
    def q(name: str) -> str:
        return quote_identifier(name, dialect)

    lines = []
    for name, declared, not_null in table.columns:
        type_ = target_type(declared, dialect)
        if dialect == "mysql" and type_ == "TEXT" and name in table.primary_key:
            type_ = "VARCHAR(255)"  # MySQL cannot index TEXT without a length
        lines.append(f"{q(name)} {type_}" + (" NOT NULL" if not_null else ""))
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(q(c) for c in table.primary_key)})")
    if with_fks:
        lines.extend(_fk_clauses(table, dialect))
    options = " DEFAULT CHARSET=utf8mb4" if dialect == "mysql" else ""
    return f"CREATE TABLE {q(table.name)} (" + ", ".join(lines) + ")" + options


def _fk_clauses(table: SourceTable, dialect: str) -> list[str]:
    def q(name: str) -> str:
        return quote_identifier(name, dialect)

    return [
        f"FOREIGN KEY ({q(col)}) REFERENCES {q(ref)} ({q(ref_col)})"
        for col, ref, ref_col in table.foreign_keys
    ]


def copy_sqlite_to_duckdb(source: str | Path, target: str | Path) -> Path:
    """Write a new DuckDB file ``target`` holding ``source``'s tables and rows."""
    duckdb = require_driver("duckdb", "DuckDB")
    out = Path(target)
    if out.exists():
        raise DatabaseError(f"{out} exists already; copy into a new file")
    tables = read_sqlite_tables(source)
    conn = duckdb.connect(str(out))
    try:
        for table in tables:
            self_ref = any(ref == table.name for _, ref, _ in table.foreign_keys)
            conn.execute(_create_table(table, "duckdb", with_fks=not self_ref))
            rows = list(_rows(source, table.name))
            if not rows:
                continue
            conn.register("sf_copy_source", _arrow_table(table, rows))
            try:
                name = quote_identifier(table.name, "duckdb")
                conn.execute(f"INSERT INTO {name} SELECT * FROM sf_copy_source")
            except duckdb.Error as exc:
                raise DatabaseError(f"copying table {table.name}: {exc}") from exc
            finally:
                conn.unregister("sf_copy_source")
    finally:
        conn.close()
    return out


def _arrow_table(table: SourceTable, rows: list[tuple[Any, ...]]) -> Any:
    """The rows as an Arrow table, a column of mixed Python types as text."""
    import pyarrow as pa

    arrays = []
    for i in range(len(table.columns)):
        values = [row[i] for row in rows]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays.append(pa.array([None if v is None else str(v) for v in values]))
    return pa.table(arrays, names=[c[0] for c in table.columns])


def copy_sqlite_to_postgres(source: str | Path, conninfo: str) -> None:
    """Create ``source``'s tables in the (empty) PostgreSQL database of ``conninfo``, load the rows
    with COPY, then add the foreign keys."""
    psycopg = require_driver("psycopg", "PostgreSQL")
    tables = read_sqlite_tables(source)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        for table in tables:
            cur.execute(_create_table(table, "postgres", with_fks=False))
            cols = ", ".join(quote_identifier(c[0], "postgres") for c in table.columns)
            copy = f"COPY {quote_identifier(table.name, 'postgres')} ({cols}) FROM STDIN"
            try:
                with cur.copy(copy) as writer:
                    for row in _rows(source, table.name):
                        writer.write_row(row)
            except psycopg.Error as exc:
                raise DatabaseError(f"copying table {table.name}: {exc}") from exc
        for table in tables:
            for clause in _fk_clauses(table, "postgres"):
                cur.execute(f"ALTER TABLE {quote_identifier(table.name, 'postgres')} ADD {clause}")
        conn.commit()


def copy_sqlite_to_mysql(source: str | Path, params: dict[str, Any]) -> None:
    """Create ``source``'s tables in the MySQL database of ``params`` (PyMySQL arguments), insert
    the rows, then add the foreign keys."""
    pymysql = require_driver("pymysql", "MySQL/MariaDB")
    tables = read_sqlite_tables(source)
    conn = pymysql.connect(**params, autocommit=False)
    try:
        with conn.cursor() as cur:
            for table in tables:
                cur.execute(_create_table(table, "mysql", with_fks=False))
                placeholders = ", ".join("%s" for _ in table.columns)
                insert = (
                    f"INSERT INTO {quote_identifier(table.name, 'mysql')} VALUES ({placeholders})"
                )
                batch = list(_rows(source, table.name))
                try:
                    for start in range(0, len(batch), 2000):
                        cur.executemany(insert, batch[start : start + 2000])
                except pymysql.Error as exc:
                    raise DatabaseError(f"copying table {table.name}: {exc}") from exc
            for table in tables:
                for clause in _fk_clauses(table, "mysql"):
                    cur.execute(f"ALTER TABLE {quote_identifier(table.name, 'mysql')} ADD {clause}")
        conn.commit()
    finally:
        conn.close()
