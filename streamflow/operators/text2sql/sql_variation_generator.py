"""SQLVariationGenerator: variants of seed queries, one variation strategy per variant."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import RowGenerator
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import (
    Text2SQLOperator,
    ask_samples,
    extract_sql,
    focus_schema,
    query_tables,
    seeded_rng,
)
from streamflow.operators.text2sql.prompts import VARIATION_TYPES, SQLVariationGeneratorPrompt
from streamflow.operators.text2sql.sql_generator import SAMPLE_INSERTS
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["SQLVariationGenerator"]


class SQLVariationGenerator(LLMOperator, Text2SQLOperator, RowGenerator):
    """Generates variants of seed queries, one variation strategy per variant.

    For each seed query, ``num_variations`` new queries, each following one of DataFlow's six
    strategies (data values, query structure, business logic, complexity, advanced features,
    performance), drawn per variant from a generator seeded by the row id.

    Children replace their parent, as in DataFlow: ``{db_id, SQL, sql_variation_type}`` with the
    new query under ``input_sql_key``. A variant whose answer holds no query is emitted
    with an empty query, so that SQLExecutabilityFilter drops it with that reason (DataFlow
    dropped it unseen). A seed row whose ``db_id`` is unknown fails (dead letter) instead of
    being skipped. ``max_tables`` and ``seed`` are ours: the former shows at most that many
    tables, the seed query's own first, then tables linked to them.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (SQLVariationGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        database_manager: Any = None,
        num_variations: int = 10,
        prompt_template: SQLVariationGeneratorPrompt | DIYPromptABC | None = None,
        seed: int = 0,
        max_tables: int | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("SQLVariationGenerator needs database_manager")
        if num_variations < 1:
            raise ValueError(
                f"SQLVariationGenerator: num_variations must be >= 1, got {num_variations}"
            )
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self._use_databases(database_manager)
        self.num_variations = num_variations
        self.prompt_template = prompt_template or SQLVariationGeneratorPrompt()
        self.seed = seed
        self.max_tables = max_tables

    async def process(
        self,
        rows: list[Row],
        input_sql_key: str = "SQL",
        input_db_id_key: str = "db_id",
        output_sql_variation_type_key: str = "sql_variation_type",
    ) -> list[list[Row] | Failure]:
        plan: list[tuple[int, str, str]] = []
        prompts: list[str | None] = []
        out: list[list[Row] | Failure] = [[] for _ in rows]
        for i, (row, row_id) in enumerate(zip(rows, row_ids(), strict=True)):
            unknown = self._unknown(row.get(input_db_id_key))
            if unknown is not None:
                out[i] = unknown
                continue
            db_id = str(row[input_db_id_key])
            original = str(row.get(input_sql_key) or "")
            if not original.strip():
                out[i] = Failure(f"no seed query in {input_sql_key!r}")
                continue
            full = await self.database_manager.aschema(db_id)
            required = query_tables(original, full.dialect) if self.max_tables else []
            for k in range(self.num_variations):
                rng = seeded_rng(row_id, k, self.seed)
                schema = focus_schema(full, self.max_tables, required=required, rng=rng)
                inserts = schema.insert_statements()
                variation = rng.choice(list(VARIATION_TYPES))
                shown = (
                    rng.sample(inserts, SAMPLE_INSERTS)
                    if len(inserts) > SAMPLE_INSERTS
                    else inserts
                )
                prompts.append(
                    self.prompt_template.build_prompt(
                        original_sql=original,
                        create_statements=schema.create_statements(),
                        insert_statements=shown,
                        db_engine=schema.dialect,
                        variation=variation,
                    )
                )
                plan.append((i, db_id, variation))
        answers = await ask_samples(self, prompts, 1)
        for (i, db_id, variation), answer in zip(plan, answers, strict=True):
            children = out[i]
            if isinstance(children, Failure):
                continue
            if isinstance(answer, Failure):
                out[i] = answer
                continue
            children.append(
                {
                    input_db_id_key: db_id,
                    input_sql_key: extract_sql(answer[0]) if answer else "",
                    output_sql_variation_type_key: variation,
                }
            )
        return out
