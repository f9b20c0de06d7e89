"""What the text-to-SQL operators share: the databases, the SQL in an answer, seeded choices.

Every operator of the family takes ``database_manager`` as in DataFlow: a
:class:`~streamflow.databases.DatabaseManager`, or anything one is built from (a folder of
SQLite files, a database file, a server URL, a ``{db_id: location}`` mapping). Queries run
through its read-only, time-limited connections, off the event loop.

Choices DataFlow draws with the global random generator (a complexity level, a question style,
a variation strategy) are drawn here from a generator seeded by the row id and the operator's
``seed``: the same row gets the same prompt in every run, so resumed and incremental runs are
exact.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from streamflow.databases import DatabaseManager, Schema
from streamflow.errors import StreamflowError
from streamflow.operators.llm import LLMOperator
from streamflow.rows import Failure, fingerprint
from streamflow.serving.base import LLMServing, SamplingParams

__all__ = [
    "MULTI_SAMPLE_TEMPERATURE",
    "QueryRunner",
    "Text2SQLOperator",
    "as_manager",
    "ask_samples",
    "check_query",
    "extract_sql",
    "focus_schema",
    "query_tables",
    "sampling_params",
    "seeded_rng",
]

MULTI_SAMPLE_TEMPERATURE = 0.8
"""Temperature for k samples of one prompt when the serving's own is 0 (which would make the k
samples identical)."""

_BLOCK = re.compile(r"```[ \t]*([\w-]*)[ \t]*\n?(.*?)```", re.S)
_SQL_LABELS = frozenset({"sql", "sqlite", "postgresql", "postgres", "mysql", "duckdb", "psql"})
_BARE_QUERY = re.compile(r"^[ \t]*(?:select|with)\b.*?(?:;|\n[ \t]*\n|\Z)", re.S | re.I | re.M)


def extract_sql(answer: str) -> str:
    """The query in a model's answer: its last ```sql block; else its last code block with no
    label (or an engine's name); else a query written bare, from a line starting with SELECT or
    WITH to a semicolon or a blank line. ``""`` when there is none.

    DataFlow took only ```sql blocks; small models often fence with a bare ``` or none, and
    what they wrote then reaches SQLExecutabilityFilter, which drops it with the reason (a
    CREATE TABLE copied from the prompt is "not a query"), instead of vanishing as "no SQL".
    """
    if not isinstance(answer, str):
        return ""
    blocks = [(label.lower(), body.strip()) for label, body in _BLOCK.findall(answer)]
    for wanted in (("sql",), ("", *_SQL_LABELS)):
        found: list[str] = [body for label, body in blocks if label in wanted and body]
        if found:
            return found[-1]
    bare = _BARE_QUERY.findall(answer)
    return bare[-1].strip() if bare else ""


def check_query(sql: str, dialect: str) -> str | None:
    """Why ``sql`` is not one read query in ``dialect`` (sqlglot's parse), or None if it is."""
    from streamflow.extras import require

    sqlglot = require("sqlglot", "sql", for_="the text2sql operators")
    if not sql or not sql.strip():
        return "no SQL (the answer holds no query)"
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        return f"sqlglot cannot parse it as {dialect}: {first}"
    if len(statements) != 1:
        return f"{len(statements)} statements; one query expected"
    statement = statements[0]
    if not isinstance(statement, sqlglot.exp.Query):
        return f"not a query: {statement.key.upper()} statement"
    return None


def query_tables(sql: str, dialect: str) -> list[str]:
    """The tables ``sql`` reads (CTE names left out), in order of appearance; [] if it does not
    parse."""
    from streamflow.extras import require

    sqlglot = require("sqlglot", "sql", for_="the text2sql operators")
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError:
        return []
    if tree is None:
        return []
    ctes = {c.alias_or_name.lower() for c in tree.find_all(sqlglot.exp.CTE)}
    names = [t.name for t in tree.find_all(sqlglot.exp.Table) if t.name]
    return list(dict.fromkeys(n for n in names if n.lower() not in ctes))


def focus_schema(
    schema: Schema,
    max_tables: int | None,
    *,
    required: list[str] | tuple[str, ...] = (),
    rng: random.Random | None = None,
) -> Schema:
    """At most ``max_tables`` tables of ``schema`` for a prompt (all of them when None or when
    the schema is small enough): the ``required`` ones (a query's tables), then their
    foreign-key neighbours breadth first; with nothing required, a table drawn by ``rng`` starts
    the walk. Tables no key reaches fill what is left, in schema order (or drawn by ``rng``).
    For databases whose full schema does not fit a model's context."""
    if max_tables is None or len(schema.tables) <= max_tables:
        return schema
    names = [t.name for t in schema.tables]
    known = {n.lower(): n for n in names}
    chosen = list(dict.fromkeys(known[r.lower()] for r in required if r.lower() in known))
    if not chosen:
        chosen = [rng.choice(names) if rng is not None else names[0]]
    queue = list(chosen)
    while queue and len(chosen) < max_tables:
        linked = schema.neighbours(queue.pop(0))
        if rng is not None:
            rng.shuffle(linked)
        for name in linked:
            if name not in chosen and len(chosen) < max_tables:
                chosen.append(name)
                queue.append(name)
    rest = [n for n in names if n not in chosen]
    if rng is not None:
        rng.shuffle(rest)
    chosen += rest[: max(0, max_tables - len(chosen))]
    return schema.subset(chosen)


def seeded_rng(*parts: Any) -> random.Random:
    """A random generator fixed by ``parts`` (row id, operator seed, sample number...)."""
    return random.Random(int(fingerprint("\x1f".join(map(str, parts)), 16), 16))


def sampling_params(
    serving: LLMServing, n: int, temperature: float | None = None
) -> SamplingParams:
    """The serving's sampling parameters asking for ``n`` samples; for n > 1 a zero temperature
    becomes :data:`MULTI_SAMPLE_TEMPERATURE` unless ``temperature`` says otherwise."""
    base = serving.params
    if temperature is None:
        temperature = base.temperature or (MULTI_SAMPLE_TEMPERATURE if n > 1 else 0.0)
    return replace(base, n=n, temperature=temperature)


async def ask_samples(
    op: LLMOperator,
    prompts: list[str | None],
    n: int,
    *,
    system_prompt: str = "",
    temperature: float | None = None,
) -> list[list[str] | Failure | None]:
    """``n`` answers to each prompt in one request each, sampled by :func:`sampling_params`'s
    rules, through ``op`` (so its ``accept_truncated`` holds)."""
    return await op.ask_samples(
        prompts,
        n,
        system_prompt=system_prompt,
        params=sampling_params(op.llm_serving, n, temperature),
    )


def as_manager(database_manager: Any) -> DatabaseManager:
    """``database_manager`` as a DatabaseManager (built from a path, URL or mapping if needed)."""
    if isinstance(database_manager, DatabaseManager):
        return database_manager
    if isinstance(database_manager, str | Path | dict):
        return DatabaseManager(source=database_manager)
    raise StreamflowError(
        "database_manager must be a DatabaseManager, a folder or file of databases, a server "
        f"URL or a {{db_id: location}} mapping; got {type(database_manager).__name__}"
    )


class Text2SQLOperator:
    """The mixin of the family: ``self.database_manager`` and per-row lookups that fail the row
    (not the run) when its database is unknown."""

    database_manager: DatabaseManager

    def _use_databases(self, database_manager: Any) -> None:
        from streamflow.extras import require

        require("sqlglot", "sql", for_=type(self).__name__)  # fail here, not in the first batch
        self.database_manager = as_manager(database_manager)

    def _unknown(self, db_id: Any) -> Failure | None:
        """A Failure for a row whose ``db_id`` names no database, else None."""
        if not isinstance(db_id, str) or not self.database_manager.database_exists(db_id):
            known = ", ".join(self.database_manager.list_databases()[:10]) or "none"
            return Failure(f"unknown database {db_id!r} (known: {known})")
        return None


class QueryRunner(Text2SQLOperator):
    """The mixin of the steps whose slow part is running queries (the execution filters, the
    voting generator): ``expensive`` (a resumed run keeps what each query decided instead of
    running it again; a query may take the manager's whole ``timeout``), and windowed on the
    databases' connections: their :attr:`admission_limit` is the manager's connections per
    database, so the stage keeps that many queries under way across batch boundaries and one
    slow query holds back only its chunk (see :mod:`streamflow.actors.actor`). Every query
    still runs in a worker thread, under its database's connection limit."""

    expensive: ClassVar[bool] = True
    min_window_chunk: ClassVar[int] = 8
    """A query often takes a millisecond: in chunks of one row, hook calls cost about a fifth
    of B11's SQLite throughput; in chunks of eight it matches one batch at a time (a slow query
    holds back only its chunk's other rows, and the window keeps twice the limit's chunks
    under way)."""

    @property
    def admission_limit(self) -> int:
        return self.database_manager.max_connections
