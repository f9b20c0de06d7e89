"""Text2SQLCoTVotingGenerator: of k reasoning traces, the one whose query's result the most
traces agree on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio

from streamflow.actors.base import Generator
from streamflow.databases import QueryOutcome, result_signature
from streamflow.operators.text2sql.base import QueryRunner, extract_sql
from streamflow.rows import Failure, Row

__all__ = ["Candidate", "Text2SQLCoTVotingGenerator", "vote"]


@dataclass(frozen=True)
class Candidate:
    index: int
    """The trace's position among the row's traces."""
    trace: str
    sql: str
    outcome: QueryOutcome | None
    """The query's execution (None: the trace holds no query)."""

    @property
    def valid(self) -> bool:
        return self.outcome is not None and self.outcome.success


def vote(candidates: list[Candidate]) -> Candidate | None:
    """The winner by execution result, or None if no candidate's query ran.

    Candidates whose queries ran are grouped by result (rows compared as a multiset, values
    across engine types, see ``streamflow.databases.results``; an empty result is a result
    like any other). The largest group wins. Ties are broken, deterministically, in this
    order: the group holding the shortest query, then the group whose first member came
    first. Within the winning group the shortest query wins, then the earliest trace.
    DataFlow broke ties between groups and inside the winning group at random.
    """
    valid = [c for c in candidates if c.valid]
    if not valid:
        return None
    groups: dict[Any, list[Candidate]] = {}
    for c in valid:
        assert c.outcome is not None and c.outcome.result is not None
        groups.setdefault(result_signature(c.outcome.result), []).append(c)

    def best(group: list[Candidate]) -> Candidate:
        return min(group, key=lambda c: (len(c.sql), c.index))

    winner = min(groups.values(), key=lambda g: (-len(g), len(best(g).sql), g[0].index))
    return best(winner)


class Text2SQLCoTVotingGenerator(QueryRunner, Generator):
    """Picks the reasoning trace whose query's result most traces agree on.

    Runs the query of each of a row's reasoning traces (read-only, time-limited) and writes
    the trace that wins the vote (:func:`vote`) to ``output_cot_key``.

    A row none of whose traces holds a query that runs fails, with the reasons, where DataFlow
    fell back to the first, unverified trace. The traces stay in the row (DataFlow deleted the
    ``cot_responses`` column; drop it with a field remover if it is not wanted). Expensive
    and windowed on the databases' connections (:class:`QueryRunner`).
    """

    def __init__(self, database_manager: Any = None) -> None:
        if database_manager is None:
            raise ValueError("Text2SQLCoTVotingGenerator needs database_manager")
        self._use_databases(database_manager)

    async def process(
        self,
        rows: list[Row],
        input_cot_responses_key: str = "cot_responses",
        input_db_id_key: str = "db_id",
        output_cot_key: str = "cot_reasoning",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = list(rows)

        async def one(i: int, row: Row) -> None:
            db_id = row.get(input_db_id_key)
            traces = row.get(input_cot_responses_key)
            unknown = self._unknown(db_id)
            if unknown is not None:
                out[i] = unknown
                return
            if not isinstance(traces, list) or not traces:
                out[i] = Failure(f"no reasoning traces in {input_cot_responses_key!r}")
                return
            candidates = await self._candidates(str(db_id), traces)
            chosen = vote(candidates)
            if chosen is None:
                reasons = "; ".join(
                    f"trace {c.index}: "
                    + ("no query" if c.outcome is None else str(c.outcome.error))
                    for c in candidates
                )
                out[i] = Failure(f"no trace's query ran ({reasons})"[:1000])
                return
            out[i] = {**row, output_cot_key: chosen.trace}

        async with anyio.create_task_group() as tg:
            for i, row in enumerate(rows):
                tg.start_soon(one, i, row)
        return out

    async def _candidates(self, db_id: str, traces: list[Any]) -> list[Candidate]:
        texts = [t if isinstance(t, str) else "" for t in traces]
        queries = [extract_sql(t) for t in texts]
        outcomes: dict[str, QueryOutcome] = {}  # a query several traces share runs once

        async def run(sql: str) -> None:
            outcomes[sql] = await self.database_manager.aattempt(db_id, sql)

        async with anyio.create_task_group() as tg:
            for sql in dict.fromkeys(q for q in queries if q):
                tg.start_soon(run, sql)
        return [
            Candidate(k, text, sql, outcomes.get(sql) if sql else None)
            for k, (text, sql) in enumerate(zip(texts, queries, strict=True))
        ]
