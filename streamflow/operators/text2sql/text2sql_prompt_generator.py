"""Text2SQLPromptGenerator: the training prompt (schema + question) for each row."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Generator
from streamflow.operators.text2sql.base import Text2SQLOperator, focus_schema, query_tables
from streamflow.operators.text2sql.prompts import Text2SQLPromptGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row

__all__ = ["Text2SQLPromptGenerator"]


class Text2SQLPromptGenerator(Text2SQLOperator, Generator):
    """Writes the training prompt: schema (M-Schema), dialect notes, evidence, question.

    Writes the prompt a text-to-SQL model is trained on: the database serialised as
    M-Schema (tables, typed columns, keys, example values, foreign keys), the engine's dialect
    notes, the evidence and the question. No model call; a row with an unknown database or no
    question fails with that reason.

    ``max_tables`` and ``input_sql_key`` (ours): show at most that many tables, the row's query's
    own first, then tables linked to them. The prompt then tells the model which tables matter
    (schema linking is given away), so use it only when the full schema does not fit.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (Text2SQLPromptGeneratorPrompt,)
    optional_inputs: ClassVar[frozenset[str]] = frozenset({"input_evidence_key"})

    def __init__(
        self,
        database_manager: Any = None,
        prompt_template: Text2SQLPromptGeneratorPrompt | DIYPromptABC | None = None,
        max_tables: int | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("Text2SQLPromptGenerator needs database_manager")
        self.check_prompt_template(prompt_template)
        self._use_databases(database_manager)
        self.prompt_template = prompt_template or Text2SQLPromptGeneratorPrompt()
        self.max_tables = max_tables

    def run(self, storage: Any, **keys: Any) -> None:
        if self.max_tables and not keys.get("input_sql_key"):
            raise ValueError(
                "Text2SQLPromptGenerator: max_tables picks the query's tables, so run() needs "
                "input_sql_key"
            )
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_question_key: str = "question",
        input_db_id_key: str = "db_id",
        input_evidence_key: str | None = "evidence",
        output_prompt_key: str = "prompt",
        input_sql_key: str | None = None,
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            db_id = str(row.get(input_db_id_key) or "").strip()
            unknown = self._unknown(db_id)
            question = str(row.get(input_question_key) or "").strip()
            if unknown is not None:
                out.append(unknown)
            elif not question:
                out.append(Failure(f"no question in {input_question_key!r}"))
            else:
                schema = await self.database_manager.aschema(db_id)
                if self.max_tables and input_sql_key:
                    sql = str(row.get(input_sql_key) or "")
                    required = query_tables(sql, schema.dialect)
                    schema = focus_schema(schema, self.max_tables, required=required)
                evidence = str(row.get(input_evidence_key) or "") if input_evidence_key else ""
                prompt = self.prompt_template.build_prompt(
                    db_details=schema.describe(),
                    question=question,
                    evidence=evidence,
                    db_engine=schema.dialect,
                )
                out.append({**row, output_prompt_key: prompt})
        return out
