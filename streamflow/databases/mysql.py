"""MySQL and MariaDB through PyMySQL: every query in its own read-only transaction.

Before each query the session is set read-only (``SET SESSION TRANSACTION READ ONLY``) and given
its time limit (MariaDB's ``max_statement_time``, MySQL's ``max_execution_time``), then the query
runs inside ``START TRANSACTION READ ONLY ... ROLLBACK``: the server refuses writes and DDL
(DDL's implicit commit lands in a read-only session too), and a query that changed a session
variable has it set back before the next one. PyMySQL sends one statement per call (the
multi-statement capability is off), so ``SELECT 1; DROP ...`` cannot ride along. Rows come
through an unbuffered cursor; at the row cap, or if the server-side limit does not apply to a
statement (MySQL limits only SELECT), the query is killed from a second connection
(``KILL QUERY``), so nothing runs on after we stop reading.

``SELECT ... INTO OUTFILE`` is governed by the user's FILE privilege, not by the transaction:
connect as a user with only SELECT.
"""

from __future__ import annotations

import contextlib
import urllib.parse
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

__all__ = ["MySQLDatabase", "list_mysql_databases", "mysql_params"]

_SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
_CANCEL_GRACE = 1.0
_READ_ONLY_ERRORS = frozenset({1792, 1290, 1142, 1044, 1227})
"""1792 read-only transaction; 1290 --read-only server; 1142/1044/1227 privilege refusals."""
_TIMEOUT_ERRORS = frozenset({1969, 3024, 1317})
"""1969 MariaDB max_statement_time; 3024 MySQL max_execution_time; 1317 query killed."""


def _pymysql() -> Any:
    return require_driver("pymysql", "MySQL/MariaDB")


def mysql_params(url: str) -> dict[str, Any]:
    """PyMySQL keyword arguments from ``mysql://user:password@host:port/db?unix_socket=...``
    (``mariadb://`` too)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise DatabaseError(f"not a MySQL URL: {url!r}")
    query = dict(urllib.parse.parse_qsl(parts.query))
    params: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "user": urllib.parse.unquote(parts.username or "") or None,
        "password": urllib.parse.unquote(parts.password or ""),
        "charset": query.pop("charset", "utf8mb4"),
    }
    if parts.port:
        params["port"] = parts.port
    database = parts.path.lstrip("/")
    if database:
        params["database"] = urllib.parse.unquote(database)
    if "unix_socket" in query:
        params["unix_socket"] = query.pop("unix_socket")
    if query:
        raise DatabaseError(f"unknown MySQL URL parameters: {', '.join(sorted(query))}")
    return params


def list_mysql_databases(params: dict[str, Any]) -> list[str]:
    """The databases on the server that the user sees, without the system ones."""
    pymysql = _pymysql()
    server = {k: v for k, v in params.items() if k != "database"}
    try:
        conn = pymysql.connect(**server, connect_timeout=10)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW DATABASES")
                names = [r[0] for r in cur.fetchall()]
        finally:
            conn.close()
    except pymysql.Error as exc:
        raise DatabaseError(f"cannot list MySQL databases on {server.get('host')}: {exc}") from exc
    return sorted(n for n in names if n.lower() not in _SYSTEM_DATABASES)


@dataclass
class _Session:
    conn: Any
    mariadb: bool
    changed: bool = False
    """A statement without a result set ran (SET, ...): session state may differ, so the
    connection is not reused (MySQL session variables are not rolled back)."""


class MySQLDatabase(Database):
    """One MySQL/MariaDB database from a ``mysql://`` URL or PyMySQL keyword arguments."""

    dialect = "mysql"

    def __init__(
        self, target: str | dict[str, Any], db_id: str | None = None, **options: Any
    ) -> None:
        self._pymysql = _pymysql()
        self.params = mysql_params(target) if isinstance(target, str) else dict(target)
        if not self.params.get("database"):
            raise DatabaseError("a MySQL database needs a database name")
        super().__init__(db_id or self.params["database"], **options)

    def _open(self) -> Any:
        return self._pymysql.connect(
            **self.params, autocommit=True, connect_timeout=10, client_flag=0
        )

    def _connect(self) -> _Session:
        try:
            conn = self._open()
            with conn.cursor() as cur:
                cur.execute("SELECT VERSION()")
                version = str(cur.fetchone()[0])
        except self._pymysql.Error as exc:
            host = self.params.get("unix_socket") or self.params.get("host")
            raise DatabaseError(f"cannot connect to MySQL {host}: {exc}") from exc
        return _Session(conn, "mariadb" in version.lower())

    def _healthy(self, session: _Session) -> bool:
        return bool(session.conn.open) and not session.changed

    def _close_connection(self, session: _Session) -> None:
        with contextlib.suppress(Exception):
            session.conn.close()

    def _kill(self, thread_id: int) -> None:
        killer = self._open()
        try:
            with killer.cursor() as cur:
                cur.execute(f"KILL QUERY {int(thread_id)}")
        finally:
            killer.close()

    def _run(
        self, session: _Session, sql: str, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        conn, pymysql = session.conn, self._pymysql
        thread_id = conn.thread_id()
        limit = (
            f"SET SESSION max_statement_time = {timeout:.3f}"
            if session.mariadb
            else f"SET SESSION max_execution_time = {max(int(timeout * 1000), 1)}"
        )
        rows: list[tuple[Any, ...]] = []
        columns: list[str] = []
        truncated = False
        watchdog = Watchdog(timeout + _CANCEL_GRACE, lambda: self._kill(thread_id))
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
                cur.execute(limit)
                cur.execute("START TRANSACTION READ ONLY")
            with watchdog:
                cur = conn.cursor(pymysql.cursors.SSCursor)
                try:
                    cur.execute(sql)
                    columns = [d[0] for d in cur.description or ()]
                    session.changed = not columns
                    while columns:
                        chunk = cur.fetchmany(min(500, max_rows + 1 - len(rows)))
                        if not chunk:
                            break
                        rows.extend(chunk)
                        if len(rows) > max_rows:
                            truncated = True
                            del rows[max_rows:]
                            self._kill(thread_id)
                            break
                finally:
                    self._drain(cur)
        except pymysql.Error as exc:
            self._rollback(conn)
            raise self._classify(exc, watchdog.fired) from exc
        self._rollback(conn)
        return columns, rows, truncated

    def _drain(self, cur: Any) -> None:
        with contextlib.suppress(self._pymysql.Error):
            cur.close()  # reads what is left of an unbuffered result (little, after a kill)

    def _rollback(self, conn: Any) -> None:
        try:
            conn.rollback()
        except self._pymysql.Error:
            conn.close()

    def _classify(self, exc: Exception, timed_out: bool) -> QueryError:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if timed_out or code in _TIMEOUT_ERRORS:
            return QueryTimeout(f"query stopped at its time limit ({message})")
        if code in _READ_ONLY_ERRORS:
            return ReadOnlyViolation(f"refused by the read-only connection: {message}")
        return QueryError(f"({code}) {message}" if code else message)

    def _read_schema(self, session: _Session) -> Schema:
        conn = session.conn
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
                cur.execute(
                    f"SET SESSION max_statement_time = {SCHEMA_TIMEOUT}"
                    if session.mariadb
                    else f"SET SESSION max_execution_time = {int(SCHEMA_TIMEOUT * 1000)}"
                )
                cur.execute("START TRANSACTION READ ONLY")
                cur.execute(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
                )
                names = [r[0] for r in cur.fetchall()]
                tables = [self._read_table(cur, name) for name in names]
        except self._pymysql.Error as exc:
            raise DatabaseError(f"{self.db_id}: cannot read the schema: {exc}") from exc
        finally:
            self._rollback(conn)
        return Schema(self.db_id, self.dialect, tuple(tables))

    def _read_table(self, cur: Any, name: str) -> Table:
        cur.execute(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            (name,),
        )
        cols = cur.fetchall()
        cur.execute(
            "SELECT COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME, CONSTRAINT_NAME "
            "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
            (name,),
        )
        pk: list[str] = []
        fks: list[ForeignKey] = []
        for col, ref_table, ref_col, constraint in cur.fetchall():
            if constraint == "PRIMARY":
                pk.append(col)
            elif ref_table:
                fks.append(ForeignKey(col, ref_table, ref_col))
        q = "`" + name.replace("`", "``") + "`"
        columns = []
        for col, type_, nullable in cols:
            examples: tuple[Any, ...] = ()
            if self.example_values:
                c = "`" + col.replace("`", "``") + "`"
                cur.execute(
                    f"SELECT DISTINCT {c} FROM {q} WHERE {c} IS NOT NULL "
                    f"ORDER BY {c} LIMIT {int(self.example_values)}"
                )
                examples = tuple(json_safe(r[0]) for r in cur.fetchall())
            columns.append(Column(col, str(type_), nullable == "YES", col in pk, examples))
        rows: tuple[tuple[Any, ...], ...] = ()
        if self.sample_rows:
            order = ", ".join("`" + c.replace("`", "``") + "`" for c in pk) or "1"
            cur.execute(f"SELECT * FROM {q} ORDER BY {order} LIMIT {int(self.sample_rows)}")
            rows = tuple(tuple(json_safe(v) for v in r) for r in cur.fetchall())
        return Table(name, tuple(columns), tuple(pk), tuple(fks), rows)
