"""text2sql_refine: text-to-SQL training data grown from seed queries.

DataFlow's ``text2sql_pipeline_refine``, step for step: SQLExecutabilityFilter (the seeds) ->
SQLVariationGenerator -> SQLExecutabilityFilter (the variants) -> Text2SQLQuestionGenerator ->
Text2SQLCorrespondenceFilter -> Text2SQLPromptGenerator -> Text2SQLCoTGenerator ->
Text2SQLCoTVotingGenerator -> SQLComponentClassifier -> SQLExecutionClassifier.

The input is a JSONL of seeds (``db_id``, ``SQL``, optionally ``question``); by default the
bookshop seeds that ship with streamflow, against the bookshop sample database::

    streamflow run text2sql_refine --output refined.jsonl --run-dir runs/refine
    streamflow run text2sql_refine --databases spider/database --input spider_seeds.jsonl

The variants replace their seeds, and every variant gets a question of its own.
"""

from __future__ import annotations

from typing import Any

from streamflow.databases import DatabaseManager
from streamflow.operators.text2sql import (
    SQLComponentClassifier,
    SQLExecutabilityFilter,
    SQLExecutionClassifier,
    SQLVariationGenerator,
    Text2SQLCorrespondenceFilter,
    Text2SQLCoTGenerator,
    Text2SQLCoTVotingGenerator,
    Text2SQLPromptGenerator,
    Text2SQLQuestionGenerator,
)
from streamflow.pipeline import Pipeline
from streamflow.pipelines.text2sql_gen import (
    SAMPLE,
    default_databases,
    default_serving,
    parse_dialect,
    run_question_to_labels,
)
from streamflow.serving.base import LLMServing
from streamflow.serving.choose import pin_llm_workers
from streamflow.storage import FileStorage

__all__ = ["Text2SQLRefinePipeline"]


class Text2SQLRefinePipeline(Pipeline):
    """Seed queries in, verified variants with questions, traces and labels out
    (``max_tables`` and ``llm_workers`` as in
    :class:`~streamflow.pipelines.text2sql_gen.Text2SQLGenPipeline`)."""

    def __init__(
        self,
        databases: Any = None,
        llm_serving: LLMServing | None = None,
        num_variations: int = 3,
        question_candidates_num: int = 3,
        sampling_num: int = 3,
        num_generations: int = 10,
        max_tables: int | None = None,
        llm_workers: int | None = None,
    ) -> None:
        manager = (
            databases
            if isinstance(databases, DatabaseManager)
            else DatabaseManager(source=databases or default_databases())
        )
        self.database_manager = manager
        serving = llm_serving or default_serving()
        self.storage = FileStorage(str(SAMPLE / "seeds.jsonl"), output_file="text2sql_refine.jsonl")
        self.seed_filter = SQLExecutabilityFilter(manager)
        self.variation_generator = SQLVariationGenerator(
            serving, manager, num_variations=num_variations, max_tables=max_tables
        )
        self.executability_filter = SQLExecutabilityFilter(manager)
        self.question_generator = Text2SQLQuestionGenerator(
            serving, database_manager=manager, question_candidates_num=question_candidates_num
        )
        self.correspondence_filter = Text2SQLCorrespondenceFilter(
            serving, manager, max_tables=max_tables
        )
        self.prompt_generator = Text2SQLPromptGenerator(manager, max_tables=max_tables)
        self.cot_generator = Text2SQLCoTGenerator(
            serving, manager, sampling_num=sampling_num, max_tables=max_tables
        )
        self.cot_voting = Text2SQLCoTVotingGenerator(manager)
        self.component_classifier = SQLComponentClassifier(dialect=parse_dialect(manager))
        self.execution_classifier = SQLExecutionClassifier(
            serving, manager, num_generations=num_generations
        )
        pin_llm_workers(self, serving, llm_workers)

    def forward(self) -> None:
        sql, db_id, question, evidence = "SQL", "db_id", "question", "evidence"
        self.seed_filter.run(self.storage.step(), input_sql_key=sql, input_db_id_key=db_id)
        self.variation_generator.run(
            self.storage.step(),
            input_sql_key=sql,
            input_db_id_key=db_id,
            output_sql_variation_type_key="sql_variation_type",
        )
        self.executability_filter.run(self.storage.step(), input_sql_key=sql, input_db_id_key=db_id)
        run_question_to_labels(self, sql, db_id, question, evidence, new_rows=True)
