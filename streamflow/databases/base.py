"""The connector contract: one interface over SQLite, DuckDB, PostgreSQL and MySQL/MariaDB.

A :class:`Database` is one database (a ``db_id``) reached through a small pool of connections
that the backend makes read-only *at the connection level* (a read-only file mode, a read-only
transaction, an authorizer), never by looking at the SQL text. Every query runs under a time
limit and a row cap:

- ``execute(sql, timeout=, max_rows=)`` returns a :class:`QueryResult` (at most ``max_rows``
  rows; ``truncated`` says more were there) or raises :class:`~.errors.QueryError`
  (:class:`~.errors.QueryTimeout` past the limit, :class:`~.errors.ReadOnlyViolation` for a
  write the connection refused);
- ``explain(sql)`` asks the engine to plan the query without running it;
- ``schema()`` reads tables, columns, types, keys and a few sample values (cached);
- ``attempt(sql)`` is ``execute`` that returns failures as a :class:`QueryOutcome` instead.

These calls block; the ``a``-prefixed twins (``aexecute``, ``aexplain``, ``aschema``,
``aattempt``) run them in a worker thread so the event loop never waits on a database.
A backend implements ``_connect``, ``_run``, ``_read_schema`` and ``_explain_sql``.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, ClassVar

import anyio
import anyio.to_thread

from streamflow.databases.errors import QueryError, QueryTimeout
from streamflow.databases.schema import Schema

__all__ = [
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "SCHEMA_TIMEOUT",
    "Database",
    "QueryOutcome",
    "QueryResult",
    "Watchdog",
]

DEFAULT_TIMEOUT = 5.0
"""Seconds a query may run (DataFlow's text2sql executor used 5 s too)."""
DEFAULT_MAX_ROWS = 100_000
"""Rows a query may return; the rest is not fetched and ``truncated`` is set."""
SCHEMA_TIMEOUT = 60.0
"""Seconds reading a schema may take (sample values scan tables); past it, a DatabaseError."""


@dataclass(frozen=True)
class QueryResult:
    """What a query returned: column names and rows (tuples), in the engine's order."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    elapsed: float = 0.0

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name (a repeated name keeps its last value)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class QueryOutcome:
    """A query's result or the reason it failed; shaped like DataFlow's ``QueryResult``
    (``success``, ``data``, ``columns``, ``error``, ``row_count``) for code written against it."""

    sql: str
    result: QueryResult | None = None
    failure: QueryError | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.result is not None

    @property
    def error(self) -> str | None:
        return None if self.failure is None else self.failure.message

    @property
    def error_kind(self) -> str | None:
        return None if self.failure is None else self.failure.kind

    @property
    def columns(self) -> list[str]:
        return list(self.result.columns) if self.result else []

    @property
    def data(self) -> list[dict[str, Any]]:
        return self.result.records() if self.result else []

    @property
    def row_count(self) -> int:
        return self.result.row_count if self.result else 0


class Watchdog:
    """Calls ``cancel`` if the block is still running after ``seconds`` (a backstop for engines
    whose own limit may not cover every statement); ``fired`` tells whether it did."""

    def __init__(self, seconds: float, cancel: Callable[[], Any]) -> None:
        self.fired = False
        self._cancel = cancel
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        with suppress(Exception):  # the query may have ended meanwhile: nothing left to stop
            self._cancel()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class Database(ABC):
    """One database, read-only, time-limited, with a small pool of connections.

    ``timeout`` and ``max_rows`` are the defaults of every query; ``max_connections`` bounds the
    connections (and so the queries running at once); ``sample_rows`` and ``example_values`` size
    what ``schema()`` reads from each table and column.
    """

    dialect: ClassVar[str]
    """The sqlglot dialect name of the engine: sqlite, duckdb, postgres or mysql."""
    explain_prefix: ClassVar[str] = "EXPLAIN "

    def __init__(
        self,
        db_id: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_connections: int = 4,
        sample_rows: int = 3,
        example_values: int = 5,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {max_rows}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self.db_id = db_id
        self.timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.max_connections = max_connections
        self.sample_rows = sample_rows
        self.example_values = example_values
        self._slots = threading.BoundedSemaphore(max_connections)
        self._limiter = anyio.CapacityLimiter(max_connections)  # threads waiting for a slot
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._schema: Schema | None = None
        self._closed = False

    # -- the blocking API ----------------------------------------------------------------------

    def execute(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> QueryResult:
        """Run ``sql`` read-only; raises :class:`QueryError` when the database refuses it."""
        limit = self.timeout if timeout is None else float(timeout)
        cap = self.max_rows if max_rows is None else int(max_rows)
        start = time.monotonic()
        with self._connection() as conn:
            try:
                columns, rows, truncated = self._run(conn, sql, limit, cap)
            except QueryError as exc:
                exc.db_id, exc.sql = exc.db_id or self.db_id, sql
                raise
        return QueryResult(tuple(columns), rows, truncated, time.monotonic() - start)

    def explain(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """The engine's plan for ``sql``: proves it parses and binds without running it."""
        return self.execute(self._explain_sql(sql), timeout=timeout, max_rows=10_000)

    def attempt(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> QueryOutcome:
        """``execute`` that returns a failed :class:`QueryOutcome` instead of raising."""
        try:
            return QueryOutcome(sql, self.execute(sql, timeout=timeout, max_rows=max_rows))
        except QueryError as exc:
            return QueryOutcome(sql, failure=exc)

    def attempt_explain(self, sql: str, *, timeout: float | None = None) -> QueryOutcome:
        try:
            return QueryOutcome(sql, self.explain(sql, timeout=timeout))
        except QueryError as exc:
            return QueryOutcome(sql, failure=exc)

    def schema(self, *, refresh: bool = False) -> Schema:
        """Tables, columns, types, keys and sample values; read once, then cached."""
        with self._lock:
            cached = None if refresh else self._schema
        if cached is not None:
            return cached
        with self._connection() as conn:
            schema = self._read_schema(conn)
        with self._lock:
            self._schema = schema
        return schema

    def close(self) -> None:
        """Close the idle connections; connections in use close when their query ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            self._close_connection(conn)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the same, off the event loop ---------------------------------------------------------

    async def aexecute(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> QueryResult:
        return await anyio.to_thread.run_sync(
            lambda: self.execute(sql, timeout=timeout, max_rows=max_rows),
            limiter=self._limiter,
        )

    async def aexplain(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        return await anyio.to_thread.run_sync(
            lambda: self.explain(sql, timeout=timeout), limiter=self._limiter
        )

    async def aattempt(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> QueryOutcome:
        return await anyio.to_thread.run_sync(
            lambda: self.attempt(sql, timeout=timeout, max_rows=max_rows),
            limiter=self._limiter,
        )

    async def aattempt_explain(self, sql: str, *, timeout: float | None = None) -> QueryOutcome:
        return await anyio.to_thread.run_sync(
            lambda: self.attempt_explain(sql, timeout=timeout), limiter=self._limiter
        )

    async def aschema(self, *, refresh: bool = False) -> Schema:
        return await anyio.to_thread.run_sync(
            lambda: self.schema(refresh=refresh), limiter=self._limiter
        )

    # -- what a backend implements ------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """A new read-only connection."""

    @abstractmethod
    def _run(
        self, conn: Any, sql: str, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        """Run one statement: (columns, at most ``max_rows`` rows, truncated).

        Raises :class:`QueryError` for anything the database refuses, and leaves the connection
        ready for the next query when it does; any other exception discards the connection.
        """

    @abstractmethod
    def _read_schema(self, conn: Any) -> Schema:
        """Read the schema through ``conn``."""

    def _explain_sql(self, sql: str) -> str:
        return self.explain_prefix + sql

    def _healthy(self, conn: Any) -> bool:
        """Whether ``conn`` may go back to the pool after a query."""
        return True

    def _close_connection(self, conn: Any) -> None:
        with suppress(Exception):
            conn.close()

    # -- the pool ------------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self._closed:
            raise QueryError("the database is closed", db_id=self.db_id)
        with self._slots:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._connect()
            reusable = False
            try:
                yield conn
                reusable = True
            except QueryError as exc:
                reusable = not isinstance(exc, QueryTimeout) or self._survives_timeout
                raise
            finally:
                with self._lock:
                    keep = reusable and not self._closed and self._healthy(conn)
                    if keep:
                        self._idle.append(conn)
                if not keep:
                    self._close_connection(conn)

    _survives_timeout: ClassVar[bool] = True
    """Whether a connection is reused after one of its queries timed out."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.db_id!r})"
