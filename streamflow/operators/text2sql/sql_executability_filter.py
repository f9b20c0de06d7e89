"""SQLExecutabilityFilter: keeps queries that parse as one read query and that the database
accepts (EXPLAIN, or a real run)."""

from __future__ import annotations

from typing import Any

import anyio

from streamflow.actors.base import Filter
from streamflow.operators.text2sql.base import QueryRunner, check_query
from streamflow.rows import Row

__all__ = ["SQLExecutabilityFilter"]


class _QueryCheckFilter(QueryRunner, Filter):
    """Checks each row's query in two steps, both off the event loop: sqlglot must parse it,
    in the database's dialect, as exactly one read query (SELECT, WITH, a set operation); then
    the database must accept it. A dropped row's reason says which step refused it and why.

    Expensive and windowed on the databases' connections (:class:`QueryRunner`): a resumed
    run keeps each row's decision, and one slow query does not idle the connections while the
    rows of the next batches wait."""

    explain = True

    def __init__(self, database_manager: Any = None) -> None:
        if database_manager is None:
            raise ValueError(f"{type(self).__name__} needs database_manager")
        self._use_databases(database_manager)

    async def process(
        self, rows: list[Row], input_sql_key: str = "SQL", input_db_id_key: str = "db_id"
    ) -> list[tuple[bool, str]]:
        results: list[tuple[bool, str]] = [(False, "")] * len(rows)

        async def one(i: int, row: Row) -> None:
            results[i] = await self._check(row.get(input_db_id_key), row.get(input_sql_key))

        async with anyio.create_task_group() as tg:
            for i, row in enumerate(rows):
                tg.start_soon(one, i, row)
        return results

    async def _check(self, db_id: Any, sql: Any) -> tuple[bool, str]:
        unknown = self._unknown(db_id)
        if unknown is not None:
            return False, unknown.reason
        dialect = self.database_manager.dialect(db_id)
        text = sql if isinstance(sql, str) else ""
        refused = await anyio.to_thread.run_sync(check_query, text, dialect)
        if refused:
            return False, refused
        manager = self.database_manager
        outcome = await (
            manager.aattempt_explain(db_id, text) if self.explain else manager.aattempt(db_id, text)
        )
        if outcome.failure is not None:
            step = "EXPLAIN" if self.explain else "execution"
            return False, f"{step} failed ({outcome.error_kind}): {outcome.error}"
        return True, ""


class SQLExecutabilityFilter(_QueryCheckFilter):
    """Keeps rows whose query the database accepts (EXPLAIN by default, or a run).

    Keeps rows whose query the database can run, without running it by default.

    DataFlow kept queries starting with SELECT or WITH (a text test) that EXPLAIN accepted; here
    sqlglot's parse decides what a read query is (so a leading comment, a parenthesised query
    or a set operation pass, and two statements do not), and ``use_explain=False`` runs the
    query instead of EXPLAIN (slower, but it also catches run-time errors). ``use_explain`` is
    ours.
    """

    def __init__(self, database_manager: Any = None, use_explain: bool = True) -> None:
        super().__init__(database_manager)
        self.explain = use_explain
