"""SQLExecutionClassifier: how hard a question is for a model, from how many of k attempts
return the gold query's result."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import anyio

from streamflow.actors.base import SampleEvaluator
from streamflow.databases import results_equal
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import Text2SQLOperator, ask_samples, extract_sql
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["SQLExecutionClassifier"]

log = logging.getLogger(__name__)
SYSTEM_PROMPT = "You are a helpful assistant."


class SQLExecutionClassifier(LLMOperator, Text2SQLOperator, SampleEvaluator):
    """Labels a question by how many of k model attempts return the gold result.

    Asks the model ``num_generations`` times for a query (one request,
    ``SamplingParams(n=num_generations)``) from the row's training prompt, runs each attempt
    and the gold query, and counts the attempts whose result equals the gold result (rows as a
    multiset, values across engine types). The count maps to a label through
    ``difficulty_thresholds``: the first threshold it does not exceed picks the label at that
    position; above the last, the last label. With DataFlow's defaults, 0-2 correct of 10 is
    ``extra``, 3-5 ``hard``, 6-9 ``medium``, 10 ``easy``.

    As in DataFlow, ``num_generations`` not above the last threshold is raised to the next
    multiple of five beyond it (with a warning). A gold query that does not run fails the row
    (DataFlow labelled it ``gold error``); ``temperature`` is ours.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        database_manager: Any = None,
        num_generations: int = 10,
        difficulty_thresholds: Sequence[int] = (2, 5, 9),
        difficulty_labels: Sequence[str] = ("extra", "hard", "medium", "easy"),
        temperature: float | None = None,
    ) -> None:
        if database_manager is None:
            raise ValueError("SQLExecutionClassifier needs database_manager")
        thresholds, labels = list(difficulty_thresholds), list(difficulty_labels)
        if len(thresholds) != len(labels) - 1:
            raise ValueError("SQLExecutionClassifier: thresholds and labels configuration mismatch")
        if thresholds != sorted(thresholds):
            raise ValueError("SQLExecutionClassifier: difficulty_thresholds must be increasing")
        if num_generations <= thresholds[-1]:
            raised = (thresholds[-1] // 5 + 1) * 5
            log.warning(
                "SQLExecutionClassifier: num_generations %d is not above the last threshold %d; "
                "using %d",
                num_generations,
                thresholds[-1],
                raised,
            )
            num_generations = raised
        self._use(llm_serving)
        self._use_databases(database_manager)
        self.num_generations = num_generations
        self.thresholds, self.labels = thresholds, labels
        self.temperature = temperature

    def classify(self, correct: int) -> str:
        for threshold, label in zip(self.thresholds, self.labels, strict=False):
            if correct <= threshold:
                return label
        return self.labels[-1]

    async def process(
        self,
        rows: list[Row],
        input_db_id_key: str = "db_id",
        input_sql_key: str = "SQL",
        input_prompt_key: str = "prompt",
        output_difficulty_key: str = "sql_execution_difficulty",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = list(rows)
        prompts: list[str | None] = [None] * len(rows)
        for i, row in enumerate(rows):
            unknown = self._unknown(row.get(input_db_id_key))
            prompt = str(row.get(input_prompt_key) or "")
            if unknown is not None:
                out[i] = unknown
            elif not prompt.strip():
                out[i] = Failure(f"no prompt in {input_prompt_key!r}")
            else:
                prompts[i] = prompt
        answers = await ask_samples(
            self,
            prompts,
            self.num_generations,
            system_prompt=SYSTEM_PROMPT,
            temperature=self.temperature,
        )

        async def one(i: int, attempts: list[str]) -> None:
            row = rows[i]
            correct = await self._correct(
                str(row[input_db_id_key]), str(row.get(input_sql_key) or ""), attempts
            )
            out[i] = (
                correct
                if isinstance(correct, Failure)
                else {
                    **row,
                    output_difficulty_key: self.classify(correct),
                }
            )

        async with anyio.create_task_group() as tg:
            for i, answer in enumerate(answers):
                if isinstance(answer, Failure):
                    out[i] = answer
                elif answer is not None:
                    tg.start_soon(one, i, answer)
        return out

    async def _correct(self, db_id: str, gold_sql: str, attempts: list[str]) -> int | Failure:
        manager = self.database_manager
        gold_outcome = await manager.aattempt(db_id, gold_sql)
        gold = gold_outcome.result
        if gold is None:
            return Failure(
                f"the gold query does not run ({gold_outcome.error_kind}): {gold_outcome.error}"
            )
        queries = [extract_sql(a) for a in attempts]
        right: dict[str, bool] = {}  # samples often repeat a query: each runs once

        async def check(sql: str) -> None:
            outcome = await manager.aattempt(db_id, sql)
            right[sql] = outcome.result is not None and results_equal(outcome.result, gold)

        async with anyio.create_task_group() as tg:
            for sql in dict.fromkeys(q for q in queries if q):
                tg.start_soon(check, sql)
        return sum(1 for q in queries if q and right[q])
