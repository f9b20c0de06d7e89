"""Text2SQLCoTGenerator: k step-by-step reasoning traces from question to query per row."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Generator
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import (
    Text2SQLOperator,
    ask_samples,
    focus_schema,
    query_tables,
)
from streamflow.operators.text2sql.prompts import Text2SQLCotGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["Text2SQLCoTGenerator"]


class Text2SQLCoTGenerator(LLMOperator, Text2SQLOperator, Generator):
    """Writes k reasoning traces from question to query per row (one request, n=k).

    Asks for ``sampling_num`` reasoning traces per row in one request
    (``SamplingParams(n=sampling_num)``), given the schema, the question with its evidence and
    the row's query as a hint the trace must not mention. The traces are not checked here:
    Text2SQLCoTVotingGenerator runs the query of each and keeps the majority's.

    The traces go to ``output_cot_responses_key`` (default ``cot_responses``, the column
    DataFlow writes). DataFlow's ``output_cot_key`` is accepted by ``run()`` and ignored, as it
    was there: the chosen trace is the voting step's output. ``temperature`` is ours (k samples
    at temperature 0 would be k copies; see ``ask_samples``).

    ``max_tables`` (ours): show at most that many tables, the query's own first, then tables
    linked to them by foreign keys; for databases whose schema does not fit the model's
    context (None: all, as in DataFlow).
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (Text2SQLCotGeneratorPrompt,)
    optional_inputs: ClassVar[frozenset[str]] = frozenset({"input_evidence_key"})

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        database_manager: Any = None,
        prompt_template: Text2SQLCotGeneratorPrompt | DIYPromptABC | None = None,
        sampling_num: int = 3,
        temperature: float | None = None,
        max_tables: int | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("Text2SQLCoTGenerator needs database_manager")
        if int(sampling_num) < 1:
            raise ValueError(f"Text2SQLCoTGenerator: sampling_num must be >= 1, got {sampling_num}")
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self._use_databases(database_manager)
        self.prompt_template = prompt_template or Text2SQLCotGeneratorPrompt()
        self.sampling_num = int(sampling_num)
        self.temperature = temperature
        self.max_tables = max_tables

    def run(self, storage: Any, **keys: Any) -> None:
        keys.pop("output_cot_key", None)  # DataFlow's, never written by its generator either
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_sql_key: str = "SQL",
        input_question_key: str = "question",
        input_db_id_key: str = "db_id",
        input_evidence_key: str | None = "evidence",
        output_cot_responses_key: str = "cot_responses",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = list(rows)
        prompts: list[str | None] = [None] * len(rows)
        for i, row in enumerate(rows):
            unknown = self._unknown(row.get(input_db_id_key))
            if unknown is not None:
                out[i] = unknown
                continue
            question = str(row.get(input_question_key) or "").strip()
            if not question:
                out[i] = Failure(f"no question in {input_question_key!r}")
                continue
            schema = await self.database_manager.aschema(row[input_db_id_key])
            sql = str(row.get(input_sql_key) or "")
            if self.max_tables:
                required = query_tables(sql, schema.dialect)
                schema = focus_schema(schema, self.max_tables, required=required)
            evidence = str(row.get(input_evidence_key) or "") if input_evidence_key else ""
            prompts[i] = self.prompt_template.build_prompt(
                schema_str="\n\n".join(schema.create_statements()),
                question=question,
                sql=sql,
                evidence=evidence,
                db_engine=schema.dialect,
            )
        answers = await ask_samples(self, prompts, self.sampling_num, temperature=self.temperature)
        for i, answer in enumerate(answers):
            if isinstance(answer, Failure):
                out[i] = answer
            elif answer is not None:
                out[i] = {**rows[i], output_cot_responses_key: answer}
        return out
