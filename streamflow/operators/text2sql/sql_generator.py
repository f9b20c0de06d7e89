"""SQLGenerator: new SELECT queries over each database, at DataFlow's four complexity levels."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import RowGenerator
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import (
    Text2SQLOperator,
    ask_samples,
    extract_sql,
    focus_schema,
    seeded_rng,
)
from streamflow.operators.text2sql.prompts import (
    COMPLEXITY_LEVELS,
    FUNCTION_HINTS,
    SelectSQLGeneratorPrompt,
    engine_name,
)
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["SQLGenerator", "draw_generation_prompt"]

SAMPLE_INSERTS = 4
"""Sample INSERT statements shown per prompt (drawn from the schema's sample rows)."""


def draw_generation_prompt(
    template: Any,
    schema: Any,
    rng: Any,
    focus_column: str = "",
    max_tables: int | None = None,
) -> tuple[str, str]:
    """One generation prompt for ``schema`` and its complexity level, all choices from ``rng``:
    the tables shown (all, or ``max_tables`` linked ones holding the focus column's table), the
    level, up to four sample rows, zero to two function hints, and the number of selected
    columns (geometric, p = 0.6, as in DataFlow)."""
    focus_table = [focus_column.split(".")[0]] if focus_column else []
    schema = focus_schema(schema, max_tables, required=focus_table, rng=rng)
    complexity = rng.choice(list(COMPLEXITY_LEVELS))
    inserts = schema.insert_statements()
    if len(inserts) > SAMPLE_INSERTS:
        inserts = rng.sample(inserts, SAMPLE_INSERTS)
    hints = FUNCTION_HINTS.get(engine_name(schema.dialect), ())
    functions = rng.sample(hints, min(rng.randint(0, 2), len(hints)))
    column_count = 1
    while rng.random() >= 0.6:
        column_count += 1
    prompt = template.build_prompt(
        create_statements=schema.create_statements(),
        insert_statements=inserts,
        db_engine=schema.dialect,
        complexity=complexity,
        column_count=column_count,
        functions=functions,
        focus_column=focus_column,
    )
    return prompt, complexity


class SQLGenerator(LLMOperator, Text2SQLOperator, RowGenerator):
    """Generates queries over each database at four complexity levels.

    Synthesizes ``generate_num`` queries per database, each at a complexity level drawn from
    Simple / Moderate / Complex / Highly Complex, from the schema, sample rows and hints.

    Each input row asks for one round of generation: over the database its ``input_db_id_key``
    field names when that key is bound (a row per database streams best), else over every
    database of ``database_manager`` (DataFlow ignored its input and generated once; a one-row
    input does the same here). Its children are ``{db_id, SQL, sql_complexity_type}`` rows, ids
    ``parent/k``. The choices behind each prompt are seeded by the row id, ``k`` and ``seed``,
    so a resumed run asks the same prompts. An answer without a query gives an empty
    SQL, which SQLExecutabilityFilter drops with that reason; a request that fails for good
    fails the input row (its dead letter can be requeued).

    ``max_tables`` (ours, like ``seed`` and ``input_db_id_key``) shows each prompt at most that
    many tables, a foreign-key-connected set drawn per prompt, for databases whose schema does
    not fit the model's context; None shows them all, as DataFlow did. SelectVecSQLGeneratorPrompt
    (sqlite-vec) is not provided.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (SelectSQLGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        database_manager: Any = None,
        generate_num: int = 300,
        prompt_template: SelectSQLGeneratorPrompt | DIYPromptABC | None = None,
        seed: int = 0,
        max_tables: int | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("SQLGenerator needs database_manager (a DatabaseManager or a path)")
        if generate_num < 1:
            raise ValueError(f"SQLGenerator: generate_num must be >= 1, got {generate_num}")
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self._use_databases(database_manager)
        self.generate_num = generate_num
        self.prompt_template = prompt_template or SelectSQLGeneratorPrompt()
        self.seed = seed
        self.max_tables = max_tables

    async def process(
        self,
        rows: list[Row],
        output_sql_key: str = "SQL",
        output_db_id_key: str = "db_id",
        output_sql_complexity_key: str = "sql_complexity_type",
        input_db_id_key: str | None = None,
    ) -> list[list[Row] | Failure]:
        manager = self.database_manager
        plan: list[tuple[int, str, str]] = []  # (row index, db_id, complexity)
        prompts: list[str | None] = []
        out: list[list[Row] | Failure] = [[] for _ in rows]
        for i, (row, row_id) in enumerate(zip(rows, row_ids(), strict=True)):
            if input_db_id_key is None:
                db_ids = manager.list_databases()
            else:
                unknown = self._unknown(row.get(input_db_id_key))
                if unknown is not None:
                    out[i] = unknown
                    continue
                db_ids = [row[input_db_id_key]]
            for db_id in db_ids:
                schema = await manager.aschema(db_id)
                for k in range(self.generate_num):
                    rng = seeded_rng(row_id, db_id, k, self.seed)
                    prompt, complexity = draw_generation_prompt(
                        self.prompt_template, schema, rng, max_tables=self.max_tables
                    )
                    plan.append((i, db_id, complexity))
                    prompts.append(prompt)
        answers = await ask_samples(self, prompts, 1)
        for (i, db_id, complexity), answer in zip(plan, answers, strict=True):
            if isinstance(out[i], Failure):
                continue
            if isinstance(answer, Failure):
                out[i] = answer
                continue
            children = out[i]
            assert isinstance(children, list)
            children.append(
                {
                    output_db_id_key: db_id,
                    output_sql_key: extract_sql(answer[0]) if answer else "",
                    output_sql_complexity_key: complexity,
                }
            )
        return out
