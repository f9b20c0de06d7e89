"""Many databases by ``db_id``: a folder of SQLite files, a server, or an explicit map.

:class:`DatabaseManager` is what the text-to-SQL operators take as ``database_manager`` (as in
DataFlow). It is built from

- a folder laid out as Spider and BIRD ship their databases: ``DIR/<db_id>/<db_id>.sqlite``,
  or flat ``DIR/<db_id>.sqlite`` (``.sqlite3``, ``.db`` and DuckDB's ``.duckdb`` too);
- a server URL: ``postgresql://user@host/dbname`` or ``mysql://user@host/dbname`` for one
  database, or without a database name for every database on the server the user may read;
- a mapping ``{db_id: path or URL}``;
- DataFlow's own spelling, ``DatabaseManager(db_type="sqlite", config={"root_path": DIR})`` or
  ``db_type="mysql", config={"host": ..., "user": ..., "password": ..., "database": ...}``, with
  DataFlow's other keywords accepted (``embedding_serving``; from earlier releases
  ``sql_execution_timeout``, ``max_connections_per_db``, ``max_workers``, ``logger``).

Databases open lazily, on first use, and share the manager's limits (``timeout``, ``max_rows``,
``max_connections`` per database). The blocking methods keep DataFlow's names
(``list_databases``, ``database_exists``, ``get_create_statements_and_insert_statements``,
``get_db_details``, ``batch_execute_queries``, ``batch_explain_queries``,
``batch_compare_queries``); the async ones (``aexecute``, ``aattempt``, ``aschema`` ...) run
the work in threads, for operators on the event loop.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamflow.databases.base import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    Database,
    QueryOutcome,
    QueryResult,
)
from streamflow.databases.errors import DatabaseError, UnknownDatabase
from streamflow.databases.results import compare_outcomes
from streamflow.databases.schema import Schema

__all__ = ["DatabaseManager", "discover_files", "open_database"]

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
DUCKDB_SUFFIXES = (".duckdb", ".ddb")
_FILE_SUFFIXES = SQLITE_SUFFIXES + DUCKDB_SUFFIXES
_DIALECT_ALIASES = {
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "duckdb": "duckdb",
    "postgres": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}


def _is_url(text: str) -> bool:
    return "://" in text


def _scheme(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme.lower().split("+")[0]


def open_database(target: str | Path, db_id: str | None = None, **options: Any) -> Database:
    """One database from a file path or a URL (``sqlite:///``, ``duckdb:///``,
    ``postgresql://``, ``mysql://``/``mariadb://``)."""
    text = str(target)
    if _is_url(text):
        scheme = _scheme(text)
        if scheme in ("postgres", "postgresql"):
            from streamflow.databases.postgres import PostgresDatabase

            return PostgresDatabase(text, db_id, **options)
        if scheme in ("mysql", "mariadb"):
            from streamflow.databases.mysql import MySQLDatabase

            return MySQLDatabase(text, db_id, **options)
        if scheme in ("sqlite", "duckdb"):
            path = urllib.parse.unquote(urllib.parse.urlsplit(text).path)
            return _open_file(Path(path), db_id, scheme, **options)
        raise DatabaseError(f"unknown database URL scheme {scheme!r} in {text!r}")
    file = Path(text)
    kind = "duckdb" if file.suffix.lower() in DUCKDB_SUFFIXES else "sqlite"
    return _open_file(file, db_id, kind, **options)


def _open_file(path: Path, db_id: str | None, kind: str, **options: Any) -> Database:
    if kind == "duckdb":
        from streamflow.databases.duckdb import DuckDBDatabase

        return DuckDBDatabase(path, db_id, **options)
    from streamflow.databases.sqlite import SQLiteDatabase

    return SQLiteDatabase(path, db_id, **options)


def discover_files(root: str | Path) -> dict[str, Path]:
    """``db_id -> file`` for a folder in Spider/BIRD layout (``root/<db_id>/<db_id>.sqlite``)
    or flat (``root/<db_id>.sqlite``). Two files claiming one ``db_id`` is an error naming both."""
    base = Path(root)
    if not base.is_dir():
        raise DatabaseError(f"database folder {base} does not exist")
    found: dict[str, Path] = {}

    def claim(db_id: str, path: Path) -> None:
        if db_id in found:
            raise DatabaseError(f"two databases claim db_id {db_id!r}: {found[db_id]} and {path}")
        found[db_id] = path

    for entry in sorted(base.iterdir()):
        if entry.is_file() and entry.suffix.lower() in _FILE_SUFFIXES:
            claim(entry.stem, entry)
        elif entry.is_dir():
            named = [entry / f"{entry.name}{s}" for s in _FILE_SUFFIXES]
            match = [p for p in named if p.is_file()]
            if not match:
                files = sorted(
                    p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in _FILE_SUFFIXES
                )
                match = files if len(files) == 1 else []
            if match:
                claim(entry.name, match[0])
    return found


@dataclass(frozen=True)
class _Target:
    """Where a database lives: its kind (dialect) and a path, URL/conninfo or driver kwargs."""

    kind: str
    location: Any

    def open(self, db_id: str, options: dict[str, Any]) -> Database:
        if self.kind == "postgres":
            from streamflow.databases.postgres import PostgresDatabase

            return PostgresDatabase(str(self.location), db_id, **options)
        if self.kind == "mysql":
            from streamflow.databases.mysql import MySQLDatabase

            return MySQLDatabase(self.location, db_id, **options)
        return _open_file(Path(self.location), db_id, self.kind, **options)


def _file_target(path: Path) -> _Target:
    return _Target("duckdb" if path.suffix.lower() in DUCKDB_SUFFIXES else "sqlite", path)


class DatabaseManager:
    """Databases by ``db_id``; see the module docstring for the ways to build one."""

    def __init__(
        self,
        db_type: str | None = None,
        config: Mapping[str, Any] | None = None,
        *,
        source: str | Path | Mapping[str, str | Path] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_connections: int = 4,
        sample_rows: int = 3,
        example_values: int = 5,
        embedding_serving: Any = None,
        sql_execution_timeout: float | None = None,
        max_connections_per_db: int | None = None,
        max_workers: int | None = None,
        logger: Any = None,
    ) -> None:
        # DataFlow's names: its embedding serving is kept for operators that look for it; its
        # per-query timeout and connections per database are ours under other names; its
        # thread pool size and logger have no counterpart (queries run on the manager's pool).
        self.embedding_serving = embedding_serving
        self.options: dict[str, Any] = {
            "timeout": sql_execution_timeout if sql_execution_timeout is not None else timeout,
            "max_rows": max_rows,
            "max_connections": max_connections_per_db or max_connections,
            "sample_rows": sample_rows,
            "example_values": example_values,
        }
        self._targets: dict[str, _Target] = {}
        self._open: dict[str, Database] = {}
        self._lock = threading.Lock()
        declared = _DIALECT_ALIASES.get((db_type or "").lower())
        if db_type and declared is None:
            raise DatabaseError(f"unknown db_type {db_type!r}: sqlite, duckdb, postgres or mysql")
        if source is None and config is None:
            raise DatabaseError("DatabaseManager needs a source (folder, file, URL or mapping)")
        if source is not None:
            self._add_source(source)
        if config is not None:
            self._add_config(declared or "sqlite", dict(config))

    # -- building --------------------------------------------------------------------------

    def _add_source(self, source: str | Path | Mapping[str, str | Path]) -> None:
        if isinstance(source, Mapping):
            for db_id, target in source.items():
                self._targets[str(db_id)] = self._target_of(target)
            return
        text = str(source)
        kind = _DIALECT_ALIASES.get(_scheme(text), "") if _is_url(text) else ""
        if kind in ("postgres", "mysql"):
            self._add_server(kind, text)
        elif not _is_url(text) and Path(text).is_dir():
            for db_id, path in discover_files(text).items():
                self._targets[db_id] = _file_target(path)
        else:
            single = self._target_of(text)
            self._targets[Path(single.location).stem] = single

    @staticmethod
    def _target_of(target: str | Path) -> _Target:
        text = str(target)
        if not _is_url(text):
            return _file_target(Path(text))
        kind = _DIALECT_ALIASES.get(_scheme(text))
        if kind in ("sqlite", "duckdb"):
            return _Target(kind, Path(urllib.parse.unquote(urllib.parse.urlsplit(text).path)))
        if kind == "mysql":
            from streamflow.databases.mysql import mysql_params

            return _Target(kind, mysql_params(text))
        if kind == "postgres":
            return _Target(kind, text)
        raise DatabaseError(f"unknown database URL scheme in {text!r}")

    def _add_server(self, kind: str, conninfo: str | dict[str, Any]) -> None:
        """One database if the connection names one, else every database on the server."""
        if kind == "postgres":
            from streamflow.databases.postgres import _psycopg, list_postgres_databases

            psycopg = _psycopg()
            text = str(conninfo)
            if psycopg.conninfo.conninfo_to_dict(text).get("dbname"):
                db = str(psycopg.conninfo.conninfo_to_dict(text)["dbname"])
                self._targets[db] = _Target(kind, text)
                return
            for name in list_postgres_databases(text):
                self._targets[name] = _Target(
                    kind, psycopg.conninfo.make_conninfo(text, dbname=name)
                )
            return
        from streamflow.databases.mysql import list_mysql_databases, mysql_params

        params = mysql_params(conninfo) if isinstance(conninfo, str) else dict(conninfo)
        names = [params["database"]] if params.get("database") else list_mysql_databases(params)
        for name in names:
            self._targets[name] = _Target(kind, {**params, "database": name})

    def _add_config(self, kind: str, config: dict[str, Any]) -> None:
        if kind in ("sqlite", "duckdb"):
            roots = config.get("root_path", ".")
            for root in [roots] if isinstance(roots, str | Path) else list(roots):
                for db_id, path in discover_files(root).items():
                    self._targets[db_id] = _file_target(path)
            return
        url = config.get("url") or config.get("conninfo")
        if url:
            self._add_server(kind, str(url))
            return
        keys = {k: v for k, v in config.items() if v is not None}
        if kind == "postgres":
            from streamflow.databases.postgres import _psycopg

            if "database" in keys:
                keys["dbname"] = keys.pop("database")
            self._add_server(kind, _psycopg().conninfo.make_conninfo("", **keys))
        else:
            self._add_server(kind, keys)

    @property
    def max_connections(self) -> int:
        """Connections per database, and so queries of one database running at once."""
        return int(self.options["max_connections"])

    # -- what is there -----------------------------------------------------------------------

    def list_databases(self) -> list[str]:
        return list(self._targets)

    def database_exists(self, db_id: str) -> bool:
        return db_id in self._targets

    def database(self, db_id: str) -> Database:
        """The database ``db_id``, opened on first use."""
        with self._lock:
            db = self._open.get(db_id)
            if db is None:
                target = self._targets.get(db_id)
                if target is None:
                    known = ", ".join(sorted(self._targets)[:10]) or "none"
                    raise UnknownDatabase(f"no database {db_id!r} (known: {known})")
                db = self._open[db_id] = target.open(db_id, self.options)
            return db

    def dialect(self, db_id: str) -> str:
        """The sqlglot dialect of ``db_id`` (sqlite, duckdb, postgres, mysql)."""
        target = self._targets.get(db_id)
        if target is None:
            raise UnknownDatabase(f"no database {db_id!r}")
        return target.kind

    @property
    def db_type(self) -> str:
        """The dialect shared by the databases (DataFlow's ``db_type``); ``mixed`` if several."""
        kinds = {t.kind for t in self._targets.values()}
        if len(kinds) > 1:
            return "mixed"
        return kinds.pop() if kinds else "sqlite"

    # -- schema ------------------------------------------------------------------------------

    def schema(self, db_id: str) -> Schema:
        return self.database(db_id).schema()

    async def aschema(self, db_id: str) -> Schema:
        return await self.database(db_id).aschema()

    def get_create_statements_and_insert_statements(
        self, db_id: str
    ) -> tuple[list[str], list[str]]:
        schema = self.schema(db_id)
        return schema.create_statements(), schema.insert_statements()

    def get_db_details(self, db_id: str) -> str:
        return self.schema(db_id).describe()

    def get_number_of_special_column(self, db_id: str) -> int:
        """DataFlow's SQLite connector counts every column here; so does this."""
        return self.schema(db_id).column_count()

    # -- queries -----------------------------------------------------------------------------

    def execute(self, db_id: str, sql: str, **limits: Any) -> QueryResult:
        return self.database(db_id).execute(sql, **limits)

    def attempt(self, db_id: str, sql: str, **limits: Any) -> QueryOutcome:
        return self._guarded(db_id, sql, lambda db: db.attempt(sql, **limits))

    def attempt_explain(self, db_id: str, sql: str, **limits: Any) -> QueryOutcome:
        return self._guarded(db_id, sql, lambda db: db.attempt_explain(sql, **limits))

    async def aexecute(self, db_id: str, sql: str, **limits: Any) -> QueryResult:
        return await self.database(db_id).aexecute(sql, **limits)

    async def aattempt(self, db_id: str, sql: str, **limits: Any) -> QueryOutcome:
        try:
            db = self.database(db_id)
        except DatabaseError as exc:
            return _failed(sql, exc)
        return await db.aattempt(sql, **limits)

    async def aattempt_explain(self, db_id: str, sql: str, **limits: Any) -> QueryOutcome:
        try:
            db = self.database(db_id)
        except DatabaseError as exc:
            return _failed(sql, exc)
        return await db.aattempt_explain(sql, **limits)

    def _guarded(self, db_id: str, sql: str, call: Any) -> QueryOutcome:
        try:
            db = self.database(db_id)
        except DatabaseError as exc:
            return _failed(sql, exc)
        outcome: QueryOutcome = call(db)
        return outcome

    def batch_execute_queries(self, queries: Iterable[tuple[str, str]]) -> list[QueryOutcome]:
        """``(db_id, sql)`` pairs run in parallel threads; one outcome each, in order."""
        return self._batch(queries, self.attempt)

    def batch_explain_queries(self, queries: Iterable[tuple[str, str]]) -> list[QueryOutcome]:
        return self._batch(queries, self.attempt_explain)

    def batch_compare_queries(
        self, triples: Iterable[tuple[str, str, str]]
    ) -> list[dict[str, Any]]:
        """``(db_id, sql1, sql2)`` triples: DataFlow's comparison record for each."""
        triples = list(triples)
        pairs = [(db, sql) for db, a, b in triples for sql in (a, b)]
        outcomes = self.batch_execute_queries(pairs)
        return [compare_outcomes(outcomes[2 * i], outcomes[2 * i + 1]) for i in range(len(triples))]

    def compare_queries(self, db_id: str, sql1: str, sql2: str) -> dict[str, Any]:
        return self.batch_compare_queries([(db_id, sql1, sql2)])[0]

    def _batch(self, queries: Iterable[tuple[str, str]], call: Any) -> list[QueryOutcome]:
        items = list(queries)
        if not items:
            return []
        workers = min(len(items), 16)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda item: call(*item), items))

    def fingerprint(self) -> str:
        """What decides query results: each db_id's kind and location (passwords left out) and
        the limits. Part of an operator's configuration fingerprint, so pointing a pipeline at
        other databases invalidates its stored results."""
        parts = [
            f"{db_id}={t.kind}:{_redacted(t.location)}"
            for db_id, t in sorted(self._targets.items())
        ]
        limits = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"DatabaseManager({';'.join(parts)}|{limits})"

    def close(self) -> None:
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for db in opened:
            db.close()

    def __enter__(self) -> DatabaseManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DatabaseManager({len(self._targets)} databases, {self.db_type})"


def _redacted(location: Any) -> str:
    if isinstance(location, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(location.items()) if k != "password")
    text = str(location)
    if "://" in text:
        parts = urllib.parse.urlsplit(text)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            text = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return text


def _failed(sql: str, exc: DatabaseError) -> QueryOutcome:
    from streamflow.databases.errors import QueryError

    failure = exc if isinstance(exc, QueryError) else QueryError(str(exc))
    return QueryOutcome(sql, failure=failure)
