"""Text2SQLPromptGenerator: the training prompt (schema + question) for each row."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Generator
from streamflow.operators.text2sql.base import Text2SQLOperator
from streamflow.operators.text2sql.prompts import Text2SQLPromptGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row

__all__ = ["Text2SQLPromptGenerator"]


class Text2SQLPromptGenerator(Text2SQLOperator, Generator):
    """Writes the prompt a text-to-SQL model is trained on: the database serialised as
    M-Schema (tables, typed columns, keys, example values, foreign keys), the engine's dialect
    notes, the evidence and the question. No model call; a row with an unknown database or no
    question fails with that reason.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (Text2SQLPromptGeneratorPrompt,)

    def __init__(
        self,
        database_manager: Any = None,
        prompt_template: Text2SQLPromptGeneratorPrompt | DIYPromptABC | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("Text2SQLPromptGenerator needs database_manager")
        self.check_prompt_template(prompt_template)
        self._use_databases(database_manager)
        self.prompt_template = prompt_template or Text2SQLPromptGeneratorPrompt()

    async def process(
        self,
        rows: list[Row],
        input_question_key: str = "question",
        input_db_id_key: str = "db_id",
        input_evidence_key: str | None = "evidence",
        output_prompt_key: str = "prompt",
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
                evidence = str(row.get(input_evidence_key) or "") if input_evidence_key else ""
                prompt = self.prompt_template.build_prompt(
                    db_details=schema.describe(),
                    question=question,
                    evidence=evidence,
                    db_engine=schema.dialect,
                )
                out.append({**row, output_prompt_key: prompt})
        return out
