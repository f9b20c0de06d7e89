"""Text2SQLQuestionGenerator: the natural-language question each query answers."""

from __future__ import annotations

import inspect
import re
from typing import Any, ClassVar

import anyio

from streamflow.actors.base import Generator
from streamflow.operators.llm import LLMOperator
from streamflow.operators.text2sql.base import Text2SQLOperator, ask_samples, seeded_rng
from streamflow.operators.text2sql.prompts import QUESTION_STYLES, Text2SQLQuestionGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["Text2SQLQuestionGenerator", "choose_central", "parse_question"]

SYSTEM_PROMPT = "You write clear natural-language questions for SQL queries."
_SECTION = "\\[{0}-START\\](.*?)\\[{0}-END\\]"
_COLUMN_COMMENT = re.compile(r'["`\[]?(\w+)["`\]]?\s+[\w()., ]*?/\*\s*(.*?)\s*\*/')


def parse_question(answer: str) -> dict[str, str] | None:
    """``{"question", "external_knowledge"}`` from a tagged answer, or None when the
    explanation or the question section is missing or empty (as DataFlow requires)."""

    def section(tag: str) -> str:
        found = re.search(_SECTION.format(tag), answer, re.S)
        return found.group(1).strip() if found else ""

    question, explanation = section("QUESTION"), section("EXPLANATION")
    if not question or not explanation:
        return None
    return {"question": question, "external_knowledge": section("EXTERNAL-KNOWLEDGE")}


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def choose_central(texts: list[str], vectors: list[list[float]] | None = None) -> int:
    """The index of the candidate closest to all the others (the medoid).

    With ``vectors`` (embeddings), distance is cosine distance, as in DataFlow; without, it is
    1 - Jaccard similarity of the word sets. Ties go to the earliest candidate.
    """
    n = len(texts)
    if n <= 2:
        return 0
    if vectors is not None:
        import numpy as np

        m = np.asarray(vectors, dtype=float)
        m = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        distances = (1.0 - m @ m.T).sum(axis=1).tolist()
    else:
        sets = [_words(t) for t in texts]
        distances = [sum(1 - len(a & b) / max(len(a | b), 1) for b in sets) for a in sets]
    return min(range(n), key=lambda i: (round(distances[i], 9), i))


class Text2SQLQuestionGenerator(LLMOperator, Text2SQLOperator, Generator):
    """Writes the natural-language question (and evidence) each query answers.

    Writes the question (and, for vague or figurative styles, the external knowledge it
    needs) that each row's query answers.

    For each row a style is drawn from DataFlow's eight (seeded by the row id); one request asks
    for ``question_candidates_num`` samples (``SamplingParams(n=k)``); the parsable candidates
    compete and the most central one wins (see :func:`choose_central`: cosine distance of
    ``embedding_serving``'s vectors as in DataFlow, or word overlap when there is none). A row
    that already has a question keeps it and costs nothing. A row with no parsable candidate
    fails (dead letter with the reason) where DataFlow dropped it quietly.

    ``embedding_serving`` may be any object with DataFlow's ``generate_embedding_from_input
    (texts)`` (sync or async); column descriptions come from ``/* comments */`` in the stored
    DDL, as in DataFlow. The drawn style goes to ``output_question_type_key`` (DataFlow wrote it
    to a fixed ``question_type`` column); ``temperature`` and ``seed`` are ours.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (Text2SQLQuestionGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        embedding_serving: Any = None,
        database_manager: Any = None,
        question_candidates_num: int = 5,
        prompt_template: Text2SQLQuestionGeneratorPrompt | DIYPromptABC | None = None,
        temperature: float | None = None,
        seed: int = 0,
    ) -> None:
        if database_manager is None:
            raise ValueError("Text2SQLQuestionGenerator needs database_manager")
        if question_candidates_num < 1:
            raise ValueError("Text2SQLQuestionGenerator: question_candidates_num must be >= 1")
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self._use_databases(database_manager)
        self.embedding_serving = embedding_serving
        self.question_candidates_num = question_candidates_num
        self.prompt_template = prompt_template or Text2SQLQuestionGeneratorPrompt()
        self.temperature = temperature
        self.seed = seed

    async def process(
        self,
        rows: list[Row],
        input_sql_key: str = "SQL",
        input_db_id_key: str = "db_id",
        output_question_key: str = "question",
        output_evidence_key: str = "evidence",
        output_question_type_key: str = "question_type",
    ) -> list[Row | Failure]:
        prompts: list[str | None] = [None] * len(rows)
        styles: list[str] = [""] * len(rows)
        out: list[Row | Failure] = list(rows)
        for i, (row, row_id) in enumerate(zip(rows, row_ids(), strict=True)):
            existing = row.get(output_question_key)
            if isinstance(existing, str) and existing.strip():
                out[i] = {
                    **row,
                    output_evidence_key: row.get(output_evidence_key) or "",
                    output_question_type_key: row.get(output_question_type_key) or "",
                }
                continue
            db_id = row.get(input_db_id_key)
            unknown = self._unknown(db_id)
            if unknown is not None:
                out[i] = unknown
                continue
            schema = await self.database_manager.aschema(str(db_id))
            sql = str(row.get(input_sql_key) or "")
            styles[i] = seeded_rng(row_id, self.seed).choice(list(QUESTION_STYLES))
            prompts[i] = self.prompt_template.build_prompt(
                sql=sql,
                db_engine=schema.dialect,
                style=styles[i],
                column_info=_used_column_comments(schema.create_statements(), sql),
            )
        answers = await ask_samples(
            self,
            prompts,
            self.question_candidates_num,
            system_prompt=SYSTEM_PROMPT,
            temperature=self.temperature,
        )
        for i, answer in enumerate(answers):
            if answer is None:
                continue
            if isinstance(answer, Failure):
                out[i] = answer
                continue
            candidates = [c for c in map(parse_question, answer) if c is not None]
            if not candidates:
                out[i] = Failure(
                    f"none of {len(answer)} answers held [QUESTION-START]...[QUESTION-END] "
                    f"with an explanation; first answer: {answer[0][:200]!r}"
                )
                continue
            best = candidates[await self._central(candidates)]
            out[i] = {
                **rows[i],
                output_question_key: best["question"],
                output_evidence_key: best["external_knowledge"],
                output_question_type_key: styles[i],
            }
        return out

    async def _central(self, candidates: list[dict[str, str]]) -> int:
        texts = [f"{c['external_knowledge']} {c['question']}".strip() for c in candidates]
        if self.embedding_serving is None or len(texts) <= 2:
            return choose_central(texts)
        embed = self.embedding_serving.generate_embedding_from_input
        if inspect.iscoroutinefunction(embed):
            vectors = await embed(texts)
        else:
            vectors = await anyio.to_thread.run_sync(embed, texts)
        return choose_central(texts, [list(v) for v in vectors])


def _used_column_comments(create_statements: list[str], sql: str) -> dict[str, str]:
    """Descriptions of the columns ``sql`` mentions, from ``/* ... */`` comments in the DDL."""
    found: dict[str, str] = {}
    lowered = sql.lower()
    for statement in create_statements:
        for name, comment in _COLUMN_COMMENT.findall(statement):
            if name.lower() in lowered and name.lower() not in found and comment:
                found[name.lower()] = comment
    return found
