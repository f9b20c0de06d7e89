"""Errors of the database connectors.

A query the database refuses or cannot finish raises a :class:`QueryError`; its subclasses say
why when the reason matters to a caller: the per-query time limit (:class:`QueryTimeout`) or the
read-only connection (:class:`ReadOnlyViolation`). Everything derives from
:class:`~streamflow.errors.StreamflowError`.
"""

from __future__ import annotations

from streamflow.errors import StreamflowError

__all__ = [
    "DatabaseError",
    "MissingDatabaseDriver",
    "QueryError",
    "QueryTimeout",
    "ReadOnlyViolation",
    "UnknownDatabase",
]


class DatabaseError(StreamflowError):
    """A database could not be opened, listed or described."""


class MissingDatabaseDriver(DatabaseError, ImportError):
    """The Python driver of a backend is not installed."""


class UnknownDatabase(DatabaseError, KeyError):
    """No database is registered under the requested ``db_id``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown database"


class QueryError(DatabaseError):
    """The database refused the query or failed while running it.

    ``kind`` is a short machine-readable reason: ``"error"`` (syntax, unknown column, ...),
    ``"timeout"`` or ``"read_only"``.
    """

    kind = "error"

    def __init__(self, message: str, *, db_id: str = "", sql: str = "") -> None:
        self.message, self.db_id, self.sql = message, db_id, sql
        where = f"{db_id}: " if db_id else ""
        super().__init__(f"{where}{message}")


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""

    kind = "timeout"


class ReadOnlyViolation(QueryError):
    """The query tried to change something and the read-only connection refused it."""

    kind = "read_only"
