"""SQLByColumnGenerator: queries that each use a given column, ``generate_num`` per column."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import RowGenerator
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import (
    Text2SQLOperator,
    ask_samples,
    extract_sql,
    seeded_rng,
)
from streamflow.operators.text2sql.prompts import SelectSQLGeneratorPrompt
from streamflow.operators.text2sql.sql_generator import draw_generation_prompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["SQLByColumnGenerator"]


class SQLByColumnGenerator(LLMOperator, Text2SQLOperator, RowGenerator):
    """Generates queries that each use a given column, for every column of every table.

    For every column of every table, ``generate_num`` queries whose prompt requires that
    column, so that generated data covers the whole schema rather than its obvious corners.

    DataFlow multiplies ``generate_num`` by the number of "special" columns (for SQLite, every
    column) and sends the same kind of prompt for each; here each prompt names its column
    (``table.column``). Input rows and children work as in :class:`SQLGenerator`
    (``input_db_id_key`` optional, children ``{db_id, SQL}``, seeded prompts); the complexity
    level is drawn but, as in DataFlow, not written; ``max_tables`` (ours) limits the tables
    shown to a linked set holding the column's table.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (SelectSQLGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        database_manager: Any = None,
        generate_num: int = 5,
        prompt_template: SelectSQLGeneratorPrompt | DIYPromptABC | None = None,
        seed: int = 0,
        max_tables: int | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("SQLByColumnGenerator needs database_manager")
        if generate_num < 1:
            raise ValueError(f"SQLByColumnGenerator: generate_num must be >= 1, got {generate_num}")
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
        input_db_id_key: str | None = None,
    ) -> list[list[Row] | Failure]:
        manager = self.database_manager
        plan: list[tuple[int, str]] = []
        prompts: list[str | None] = []
        out: list[list[Row] | Failure] = [[] for _ in rows]
        for i, (row, row_id) in enumerate(zip(rows, row_ids(), strict=True)):
            if input_db_id_key is not None:
                unknown = self._unknown(row.get(input_db_id_key))
                if unknown is not None:
                    out[i] = unknown
                    continue
            db_ids = manager.list_databases() if input_db_id_key is None else [row[input_db_id_key]]
            for db_id in db_ids:
                schema = await manager.aschema(db_id)
                for table in schema.tables:
                    for column in table.column_names:
                        focus = f"{table.name}.{column}"
                        for k in range(self.generate_num):
                            rng = seeded_rng(row_id, db_id, focus, k, self.seed)
                            prompt, _ = draw_generation_prompt(
                                self.prompt_template,
                                schema,
                                rng,
                                focus_column=focus,
                                max_tables=self.max_tables,
                            )
                            plan.append((i, db_id))
                            prompts.append(prompt)
        answers = await ask_samples(self, prompts, 1)
        for (i, db_id), answer in zip(plan, answers, strict=True):
            children = out[i]
            if isinstance(children, Failure):
                continue
            if isinstance(answer, Failure):
                out[i] = answer
                continue
            sql = extract_sql(answer[0]) if answer else ""
            children.append({output_db_id_key: db_id, output_sql_key: sql})
        return out
