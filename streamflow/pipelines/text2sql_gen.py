"""text2sql_gen: text-to-SQL training data synthesized from databases alone.

DataFlow's ``text2sql_pipeline_gen``, step for step: SQLGenerator -> SQLExecutabilityFilter ->
Text2SQLQuestionGenerator -> Text2SQLCorrespondenceFilter -> Text2SQLPromptGenerator ->
Text2SQLCoTGenerator -> Text2SQLCoTVotingGenerator -> SQLComponentClassifier ->
SQLExecutionClassifier. Each output row holds a query, its question (and evidence), the training
prompt, a reasoning trace whose query was verified by execution vote, and two difficulty labels.

The databases: ``--databases`` (a folder of SQLite files in Spider/BIRD layout, one file, or a
``postgresql://``/``mysql://`` server URL), else the bookshop sample that ships with streamflow::

    streamflow run text2sql_gen --output text2sql.jsonl --run-dir runs/t2s
    streamflow run text2sql_gen --databases spider/database --output spider_synth.jsonl

The input is a list of databases (a row ``{"database": db_id}`` each) that the pipeline writes
itself; a database added to the folder later is all an incremental run in the same run
directory generates for.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from streamflow.databases import DATABASES_ENV, DatabaseManager
from streamflow.operators.text2sql import (
    SQLComponentClassifier,
    SQLExecutabilityFilter,
    SQLExecutionClassifier,
    SQLGenerator,
    Text2SQLCorrespondenceFilter,
    Text2SQLCoTGenerator,
    Text2SQLCoTVotingGenerator,
    Text2SQLPromptGenerator,
    Text2SQLQuestionGenerator,
)
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.serving.choose import pin_llm_workers
from streamflow.storage import FileStorage

__all__ = [
    "DATABASES_ENV",
    "SAMPLE",
    "Text2SQLGenPipeline",
    "database_list",
    "default_databases",
    "sample_databases",
    "text2sql_cache",
]

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "text2sql"))
SAMPLE_MAX_TOKENS = 512


def text2sql_cache() -> Path:
    """``$STREAMFLOW_CACHE/text2sql``, else ``~/.cache/streamflow/text2sql``."""
    base = os.environ.get("STREAMFLOW_CACHE") or Path.home() / ".cache" / "streamflow"
    return Path(base) / "text2sql"


def sample_databases(cache: Path | None = None) -> Path:
    """The folder holding ``bookshop/bookshop.sqlite``, built from the shipped script on first
    use (and again whenever the script changes)."""
    script = (SAMPLE / "bookshop.sql").read_text(encoding="utf-8")
    digest = hashlib.blake2b(script.encode(), digest_size=8).hexdigest()
    root = (cache or text2sql_cache()) / "databases" / digest
    target = root / "bookshop" / "bookshop.sqlite"
    if not target.is_file():
        import sqlite3

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        conn = sqlite3.connect(partial)
        try:
            conn.executescript(script)
            conn.commit()
        finally:
            conn.close()
        os.replace(partial, target)
    return root


def default_databases() -> str | Path:
    """``$STREAMFLOW_DATABASES``, else the bookshop sample."""
    return os.environ.get(DATABASES_ENV) or sample_databases()


def database_list(manager: DatabaseManager, cache: Path | None = None) -> Path:
    """A JSONL file with one ``{"database": db_id}`` row per database of ``manager``, at a path
    fixed by the databases' fingerprint (so a resumed run reads the same file)."""
    key = hashlib.blake2b(manager.fingerprint().encode(), digest_size=8).hexdigest()
    path = (cache or text2sql_cache()) / "database-lists" / f"{key}.jsonl"
    lines = b"".join(
        msgspec.json.encode({"database": db_id}) + b"\n" for db_id in manager.list_databases()
    )
    if not path.is_file() or path.read_bytes() != lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(lines)
        os.replace(partial, path)
    return path


def parse_dialect(manager: DatabaseManager) -> str:
    """The dialect to parse queries in: the databases' own, SQLite's for a mixed set."""
    return manager.db_type if manager.db_type != "mixed" else "sqlite"


def default_serving() -> LLMServing:
    from streamflow.serving.vllm_backend import VLLMServing

    return VLLMServing(params=SamplingParams(max_tokens=SAMPLE_MAX_TOKENS))


class Text2SQLGenPipeline(Pipeline):
    """Databases in, verified text-to-SQL training rows out (see the module docstring).

    ``max_tables`` limits the tables each prompt shows, for a model whose context cannot hold
    the whole schema (the embedded SmolLM2 has 1024 tokens); None shows them all.
    ``llm_workers`` pins each LLM step to that many batches at once; None (the default) sizes
    each step's window from the serving's admission limit (B11: 0.97 of the server's slots busy,
    against 0.89-0.94 with four batches pinned).
    """

    def __init__(
        self,
        databases: Any = None,
        llm_serving: LLMServing | None = None,
        generate_num: int = 4,
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
        self.storage = FileStorage(str(database_list(manager)), output_file="text2sql_gen.jsonl")
        self.sql_generator = SQLGenerator(
            serving, manager, generate_num=generate_num, max_tables=max_tables
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
        self.sql_generator.run(
            self.storage.step(),
            input_db_id_key="database",
            output_sql_key=sql,
            output_db_id_key=db_id,
            output_sql_complexity_key="sql_complexity_type",
        )
        self.executability_filter.run(self.storage.step(), input_sql_key=sql, input_db_id_key=db_id)
        run_question_to_labels(self, sql, db_id, question, evidence)


def run_question_to_labels(
    pipeline: Any, sql: str, db_id: str, question: str, evidence: str, *, new_rows: bool = False
) -> None:
    """The steps both text2sql pipelines share, from the question to the difficulty labels.

    ``new_rows``: the rows reaching the question step were made by a generator that dropped
    the source's question field (the refine pipeline's variants), so writing it again is meant.
    """
    storage = pipeline.storage
    pipeline.question_generator.run(
        storage.step(),
        input_sql_key=sql,
        input_db_id_key=db_id,
        output_question_key=question,
        output_evidence_key=evidence,
        overwrite=new_rows,
    )
    pipeline.correspondence_filter.run(
        storage.step(),
        input_sql_key=sql,
        input_db_id_key=db_id,
        input_question_key=question,
        input_evidence_key=evidence,
    )
    pipeline.prompt_generator.run(
        storage.step(),
        input_question_key=question,
        input_db_id_key=db_id,
        input_evidence_key=evidence,
        output_prompt_key="prompt",
        input_sql_key=sql,
    )
    pipeline.cot_generator.run(
        storage.step(),
        input_sql_key=sql,
        input_question_key=question,
        input_db_id_key=db_id,
        input_evidence_key=evidence,
        output_cot_key="cot_reasoning",
    )
    pipeline.cot_voting.run(
        storage.step(),
        input_cot_responses_key="cot_responses",
        input_db_id_key=db_id,
        output_cot_key="cot_reasoning",
    )
    pipeline.component_classifier.run(
        storage.step(), input_sql_key=sql, output_difficulty_key="sql_component_difficulty"
    )
    pipeline.execution_classifier.run(
        storage.step(),
        input_sql_key=sql,
        input_db_id_key=db_id,
        input_prompt_key="prompt",
        output_difficulty_key="sql_execution_difficulty",
    )
