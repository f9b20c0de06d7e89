"""SQLExecutionFilter: keeps queries that run to completion on their database."""

from __future__ import annotations

from streamflow.operators.text2sql.sql_executability_filter import _QueryCheckFilter

__all__ = ["SQLExecutionFilter"]


class SQLExecutionFilter(_QueryCheckFilter):
    """Keeps rows whose query runs on its database within the time limit.

    Keeps rows whose query sqlglot parses as one read query and that then runs on its
    database within the time limit (the manager's ``timeout``, 5 s by default; the row cap
    truncates, it does not fail). A dropped row's reason names the refusal: parse, timeout,
    read-only, or the engine's error message.
    """

    explain = False
