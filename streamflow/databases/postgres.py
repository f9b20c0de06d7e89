"""PostgreSQL through psycopg 3: every query in its own read-only transaction, time-limited.

The session's default is read-only (``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``
at connect) and every query runs inside ``BEGIN READ ONLY ... ROLLBACK``, so a write is refused
by the server and anything a query changes in the session (a ``SET``) is rolled back with it.
Queries go through the extended protocol (``cursor.stream``), which carries exactly one
statement: ``SELECT 1; COMMIT; DROP ...`` is refused instead of escaping the transaction. The time
limit is ``statement_timeout`` (server-side), with a client-side cancel as a backstop; rows are
streamed in chunks and the stream is cancelled at the cap, so a 10-million-row result is never
held in memory.

What the server lets the *role* do outside transactions (a superuser can ``COPY ... TO`` a
server file, which a read-only transaction allows) is the role's business: connect with a role
that has only SELECT (``GRANT pg_read_all_data``); a warning is logged for a superuser.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
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

__all__ = ["PostgresDatabase", "list_postgres_databases"]

log = logging.getLogger(__name__)

_STREAM_CHUNK = 500
_CANCEL_GRACE = 1.0  # seconds after statement_timeout before the client cancels itself
_SCHEMA_TIMEOUT_MS = int(SCHEMA_TIMEOUT * 1000)
_SET_TIMEOUT = "SELECT set_config('statement_timeout', %s, true)"  # this transaction only


def _psycopg() -> Any:
    return require_driver("psycopg", "PostgreSQL")


def list_postgres_databases(conninfo: str) -> list[str]:
    """The databases on the server of ``conninfo`` that its role may connect to (templates and
    the ``postgres`` maintenance database left out)."""
    psycopg = _psycopg()
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate "
                "AND datname <> 'postgres' AND has_database_privilege(datname, 'CONNECT') "
                "ORDER BY datname"
            ).fetchall()
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot list databases on {_redact(conninfo)}: {exc}") from exc
    return [r[0] for r in rows]


def _redact(conninfo: str) -> str:
    try:
        params = _psycopg().conninfo.conninfo_to_dict(conninfo)
    except Exception:
        return "<connection string>"
    params.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in params.items())


@dataclass
class _Session:
    """A connection and the statement_timeout its session was set to."""

    conn: Any
    timeout_ms: int


class PostgresDatabase(Database):
    """One PostgreSQL database given by a libpq connection string or URL. ``db_id`` defaults
    to the database name."""

    dialect = "postgres"

    def __init__(self, conninfo: str, db_id: str | None = None, **options: Any) -> None:
        self._pg = _psycopg()
        self.conninfo = conninfo
        try:
            params = self._pg.conninfo.conninfo_to_dict(conninfo)
        except self._pg.Error as exc:
            raise DatabaseError(f"bad PostgreSQL connection string: {exc}") from exc
        super().__init__(db_id or str(params.get("dbname") or params.get("user") or ""), **options)
        self._warned = False

    def _connect(self) -> Any:
        try:
            conn = self._pg.connect(self.conninfo, autocommit=True)
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            conn.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
            superuser = conn.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            conn.autocommit = False
            conn.read_only = True
        except self._pg.Error as exc:
            raise DatabaseError(f"cannot connect to {_redact(self.conninfo)}: {exc}") from exc
        if superuser and superuser[0] and not self._warned:
            self._warned = True
            log.warning(
                "%s: connected as a superuser; queries stay read-only but server-side file "
                "functions remain open to it: prefer a role with only pg_read_all_data",
                self.db_id,
            )
        return _Session(conn, int(self.timeout * 1000))

    def _healthy(self, session: _Session) -> bool:
        return not session.conn.closed

    def _close_connection(self, session: _Session) -> None:
        with contextlib.suppress(Exception):
            session.conn.close()

    def _run(
        self, session: _Session, sql: str, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        conn = session.conn
        timeout_ms = max(int(timeout * 1000), 1)
        rows: list[tuple[Any, ...]] = []
        columns: list[str] = []
        truncated = False
        watchdog = Watchdog(timeout + _CANCEL_GRACE, conn.cancel_safe)
        try:
            with watchdog, conn.cursor() as cur:
                if timeout_ms != session.timeout_ms:
                    cur.execute(
                        "SELECT set_config('statement_timeout', %s, true)", (str(timeout_ms),)
                    )
                for row in cur.stream(sql, size=min(_STREAM_CHUNK, max_rows + 1)):
                    if not columns:
                        columns = [d.name for d in cur.description or ()]
                    if len(rows) == max_rows:
                        truncated = True
                        break
                    rows.append(row)
                if not columns and cur.description:
                    columns = [d.name for d in cur.description]
        except self._pg.Error as exc:
            if self._ran_without_rows(conn, exc):
                self._rollback(conn)
                return [], [], False
            self._rollback(conn)
            raise self._classify(exc, watchdog.fired) from exc
        self._rollback(conn)
        return columns, rows, truncated

    def _ran_without_rows(self, conn: Any, exc: Exception) -> bool:
        """psycopg's stream() raises for a statement that returns no rows (SET, SHOW-less
        utility commands) although the server ran it: that is a result with no columns."""
        return (
            isinstance(exc, self._pg.ProgrammingError)
            and getattr(exc, "sqlstate", None) is None
            and conn.info.transaction_status != self._pg.pq.TransactionStatus.INERROR
        )

    def _rollback(self, conn: Any) -> None:
        try:
            conn.rollback()
        except self._pg.Error:
            conn.close()  # the pool discards a closed connection on its next error

    def _classify(self, exc: Exception, timed_out: bool) -> QueryError:
        errors = self._pg.errors
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if timed_out or isinstance(exc, errors.QueryCanceled):
            return QueryTimeout(f"query stopped at its time limit ({message})")
        if isinstance(exc, errors.ReadOnlySqlTransaction):
            return ReadOnlyViolation(f"refused by the read-only transaction: {message}")
        return QueryError(message)

    def _read_schema(self, session: _Session) -> Schema:
        conn = session.conn
        try:
            with conn.cursor() as cur:
                cur.execute(_SET_TIMEOUT, (str(_SCHEMA_TIMEOUT_MS),))
                cur.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                    "ORDER BY table_name"
                )
                names = [r[0] for r in cur.fetchall()]
                tables = [self._read_table(cur, name) for name in names]
        except self._pg.Error as exc:
            raise DatabaseError(f"{self.db_id}: cannot read the schema: {exc}") from exc
        finally:
            self._rollback(conn)
        return Schema(self.db_id, self.dialect, tuple(tables))

    def _read_table(self, cur: Any, name: str) -> Table:
        ident = self._pg.sql.Identifier(name)
        regclass = "quote_ident(current_schema()) || '.' || quote_ident(%s)"
        cur.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
            f"FROM pg_attribute a WHERE a.attrelid = ({regclass})::regclass "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (name,),
        )
        cols = cur.fetchall()
        cur.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            f"WHERE i.indrelid = ({regclass})::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (name,),
        )
        pk = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT a.attname, cf.relname, af.attname FROM pg_constraint con "
            "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, fcol, n) "
            "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col "
            "JOIN pg_class cf ON cf.oid = con.confrelid "
            "JOIN pg_attribute af ON af.attrelid = con.confrelid AND af.attnum = k.fcol "
            f"WHERE con.contype = 'f' AND con.conrelid = ({regclass})::regclass "
            "ORDER BY con.conname, k.n",
            (name,),
        )
        fks = tuple(ForeignKey(c, t, r) for c, t, r in cur.fetchall())
        sql = self._pg.sql
        columns = []
        for col, type_, nullable in cols:
            examples: tuple[Any, ...] = ()
            if self.example_values:
                c = sql.Identifier(col)
                cur.execute(
                    sql.SQL(
                        "SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL ORDER BY {c} LIMIT {n}"
                    ).format(c=c, t=ident, n=sql.Literal(int(self.example_values)))
                )
                examples = tuple(json_safe(r[0]) for r in cur.fetchall())
            columns.append(Column(col, type_, bool(nullable), col in pk, examples))
        rows: tuple[tuple[Any, ...], ...] = ()
        if self.sample_rows:
            order = sql.SQL(", ").join(sql.Identifier(c) for c in pk) if pk else sql.SQL("1")
            cur.execute(
                sql.SQL("SELECT * FROM {t} ORDER BY {o} LIMIT {n}").format(
                    t=ident, o=order, n=sql.Literal(int(self.sample_rows))
                )
            )
            rows = tuple(tuple(json_safe(v) for v in r) for r in cur.fetchall())
        return Table(name, tuple(columns), tuple(pk), fks, rows)
