"""Text2SQLCorrespondenceFilter: an LLM judge of whether a query answers its question."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from streamflow.actors.base import Filter
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import (
    Text2SQLOperator,
    ask_samples,
    focus_schema,
    query_tables,
)
from streamflow.operators.text2sql.prompts import Text2SQLCorrespondenceFilterPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["Text2SQLCorrespondenceFilter", "parse_verdict"]

_CONCLUSION = re.compile(r"<\s*conclusion\s*>\s*(yes|no)\b", re.I)
_FENCED = re.compile(r"```[^\n`]*\n?(.*?)```", re.S)


def parse_verdict(answer: str) -> bool | None:
    """The judge's YES (True) or NO (False): the last ``<Conclusion>`` tag, else the last code
    block that says yes or no; None when the answer holds no verdict."""
    tags: list[str] = _CONCLUSION.findall(answer)
    if tags:
        return tags[-1].lower() == "yes"
    for block in reversed(_FENCED.findall(answer)):
        words = set(re.findall(r"[a-z]+", block.lower()))
        if ("yes" in words) != ("no" in words):
            return "yes" in words
    return None


class Text2SQLCorrespondenceFilter(LLMOperator, Text2SQLOperator, Filter):
    """Keeps rows whose query an LLM judge finds answers their question.

    Keeps the rows whose query, in the judge's view, answers their question (with its
    evidence) over the database's schema (its CREATE statements).

    A row without a question is dropped with that reason (DataFlow skipped it). An answer with
    no verdict fails the row (a dead letter with the answer) where DataFlow counted it as NO:
    a judge that did not judge is not evidence against the data.

    ``max_tables`` (ours): show at most that many tables, the query's own first, then tables
    linked to them by foreign keys; for databases whose schema does not fit the model's
    context (None: all, as in DataFlow).
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (Text2SQLCorrespondenceFilterPrompt,)
    optional_inputs: ClassVar[frozenset[str]] = frozenset({"input_evidence_key"})

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        database_manager: Any = None,
        prompt_template: Text2SQLCorrespondenceFilterPrompt | DIYPromptABC | None = None,
        max_tables: int | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("Text2SQLCorrespondenceFilter needs database_manager")
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self._use_databases(database_manager)
        self.prompt_template = prompt_template or Text2SQLCorrespondenceFilterPrompt()
        self.max_tables = max_tables

    async def process(
        self,
        rows: list[Row],
        input_sql_key: str = "SQL",
        input_db_id_key: str = "db_id",
        input_question_key: str = "question",
        input_evidence_key: str | None = "evidence",
    ) -> list[tuple[bool, str] | Failure]:
        out: list[tuple[bool, str] | Failure] = [(False, "")] * len(rows)
        prompts: list[str | None] = [None] * len(rows)
        for i, row in enumerate(rows):
            question = str(row.get(input_question_key) or "").strip()
            if not question:
                out[i] = (False, "no question to check the query against")
                continue
            unknown = self._unknown(row.get(input_db_id_key))
            if unknown is not None:
                out[i] = unknown
                continue
            evidence = str(row.get(input_evidence_key) or "") if input_evidence_key else ""
            if evidence.strip():
                question = f"{question}\n{evidence.strip()}"
            schema = await self.database_manager.aschema(row[input_db_id_key])
            sql = str(row.get(input_sql_key) or "")
            if self.max_tables:
                required = query_tables(sql, schema.dialect)
                schema = focus_schema(schema, self.max_tables, required=required)
            prompts[i] = self.prompt_template.build_prompt(
                question=question,
                sql=sql,
                db_details="\n\n".join(schema.create_statements()),
            )
        answers = await ask_samples(self, prompts, 1)
        for i, answer in enumerate(answers):
            if answer is None:
                continue
            if isinstance(answer, Failure):
                out[i] = answer
                continue
            verdict = parse_verdict(answer[0])
            if verdict is None:
                out[i] = Failure(f"the judge gave no YES/NO verdict: {answer[0][-200:]!r}")
            else:
                out[i] = (
                    (True, "")
                    if verdict
                    else (False, "the judge: the query does not answer the question")
                )
        return out
