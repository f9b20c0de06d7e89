"""SQL connectors: read-only, time-limited execution and schema reading for SQLite, DuckDB,
PostgreSQL and MySQL/MariaDB, and a manager of many databases by ``db_id``.

Read-only is enforced by each connection (read-only file mode and an authorizer, a read-only
DuckDB instance without file access, read-only transactions on the servers), never by looking at
the SQL. Every query has a time limit and a row cap. The drivers (duckdb, psycopg, pymysql) are
imported only when a backend is opened: ``pip install 'streamflow-data[sql]'``.

>>> from streamflow.databases import DatabaseManager
>>> dbs = DatabaseManager(source="spider/database")   # DIR/<db_id>/<db_id>.sqlite
>>> dbs.execute("concert_singer", "SELECT count(*) FROM singer").rows
"""

from streamflow.databases.base import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    Database,
    QueryOutcome,
    QueryResult,
)
from streamflow.databases.errors import (
    DatabaseError,
    MissingDatabaseDriver,
    QueryError,
    QueryTimeout,
    ReadOnlyViolation,
    UnknownDatabase,
)
from streamflow.databases.manager import DatabaseManager, discover_files, open_database
from streamflow.databases.results import (
    canonical_value,
    compare_outcomes,
    result_signature,
    results_equal,
)
from streamflow.databases.schema import Column, ForeignKey, Schema, Table

DATABASES_ENV = "STREAMFLOW_DATABASES"
"""Where pipelines that query databases find them when none is given: a folder, a file or a
server URL (``streamflow run --databases`` sets it)."""

__all__ = [
    "DATABASES_ENV",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "Column",
    "Database",
    "DatabaseError",
    "DatabaseManager",
    "ForeignKey",
    "MissingDatabaseDriver",
    "QueryError",
    "QueryOutcome",
    "QueryResult",
    "QueryTimeout",
    "ReadOnlyViolation",
    "Schema",
    "Table",
    "UnknownDatabase",
    "canonical_value",
    "compare_outcomes",
    "discover_files",
    "open_database",
    "result_signature",
    "results_equal",
]
