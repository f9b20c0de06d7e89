"""The text2sql pipelines end to end on the bookshop sample, with a scripted model that answers
each kind of prompt the way a real one would (good and bad queries alike), so every step, the
drops and their reasons, and the output fields are checked without an engine; then with the
embedded engine, whose 135M model often talks past the 160 tokens these tests allow: its LLM
steps keep cut-off answers (``accept_truncated_answers()``; a cut-off answer often still holds
a query), so that rows reach every step instead of ending as dead letters."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from streamflow.databases import DatabaseManager
from streamflow.operators.text2sql import (
    SQLComponentClassifier,
    SQLExecutionClassifier,
    Text2SQLCorrespondenceFilter,
    Text2SQLCoTGenerator,
    Text2SQLCoTVotingGenerator,
    Text2SQLPromptGenerator,
    Text2SQLQuestionGenerator,
)
from streamflow.operators.text2sql.base import extract_sql
from streamflow.operators.text2sql.prompts import COMPLEXITY_LEVELS
from streamflow.pipelines.text2sql_gen import (
    Text2SQLGenPipeline,
    database_list,
    sample_databases,
)
from streamflow.pipelines.text2sql_refine import Text2SQLRefinePipeline
from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams, Usage

pytest.importorskip("sqlglot")

GENERATED = [
    "SELECT title FROM book WHERE price > 20",
    "SELECT title FROM book WHERE shelf = 3",  # no such column: filtered
    "",  # no query at all: filtered
    "SELECT a.name, COUNT(*) FROM author a JOIN book b ON b.author_id = a.author_id "
    "GROUP BY a.name",  # judged wrong below
]


def fenced(sql: str) -> str:
    return f"Step by step...\n```sql\n{sql}\n```" if sql else "I would rather not."


class BookshopModel(LLMServing):
    """Answers by prompt kind; ``n`` samples per request where asked."""

    model = "bookshop-script"

    def __init__(self) -> None:
        super().__init__(max_in_flight=32)
        self.kinds: list[str] = []

    async def _complete(
        self, messages: list[Message], json_schema: object, params: SamplingParams
    ) -> Completion:
        prompt = str(messages[-1]["content"])
        texts = [self.answer(prompt, k) for k in range(params.n)]
        return Completion(texts, Usage(10, 10))

    def answer(self, prompt: str, k: int) -> str:
        if prompt.startswith("Write one new, executable"):
            self.kinds.append("generate")  # the four kinds of answer in turn
            return fenced(GENERATED[(self.kinds.count("generate") - 1) % len(GENERATED)])
        if prompt.startswith("Write a new") and "by varying the original" in prompt:
            self.kinds.append("vary")
            original = re.search(r"Original query:\n```sql\n(.*?)\n```", prompt, re.S).group(1)
            every_other = self.kinds.count("vary") % 2 == 0  # half the variants hold no query
            return "" if every_other else fenced(original + " LIMIT 5")
        if prompt.startswith("Here is a"):
            self.kinds.append("question")
            return (
                "[EXPLANATION-START]It lists books.[EXPLANATION-END]\n"
                f"[QUESTION-START]Which books match, version {k}?[QUESTION-END]"
            )
        if prompt.startswith("Does the SQL query answer"):
            self.kinds.append("judge")
            verdict = "NO" if "COUNT(*)" in prompt.split("Schema:")[0] else "YES"
            return f"```\n<Conclusion> {verdict} </Conclusion>\n```"
        if "colleague's query" in prompt:
            self.kinds.append("cot")
            hint = re.search(r"never mention it:\n```sql\n(.*?)\n```", prompt, re.S).group(1)
            return fenced(hint) if k < 2 else fenced("SELECT 1")
        if "write one\nquery that answers the question" in prompt or "write one query" in prompt:
            self.kinds.append("attempt")
            return fenced("SELECT title FROM book WHERE price > 20") if k < 7 else "no"
        raise AssertionError(f"unexpected prompt: {prompt[:200]}")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sample_database_is_built_once(tmp_path) -> None:
    first = sample_databases(tmp_path)
    target = first / "bookshop" / "bookshop.sqlite"
    stamp = target.stat().st_mtime_ns
    assert sample_databases(tmp_path) == first and target.stat().st_mtime_ns == stamp
    manager = DatabaseManager(source=first)
    assert manager.execute("bookshop", "SELECT COUNT(*) FROM book").rows == [(17,)]
    listing = database_list(manager, tmp_path)
    assert _rows(listing) == [{"database": "bookshop"}]


def test_gen_pipeline_end_to_end(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STREAMFLOW_CACHE", str(tmp_path / "cache"))
    model = BookshopModel()
    pipeline = Text2SQLGenPipeline(llm_serving=model, generate_num=8, num_generations=10)
    out = tmp_path / "gen.jsonl"
    result = pipeline.run(output=out, run_dir=tmp_path / "run")
    rows = _rows(out)
    assert len(rows) == 2, "8 generated: 2 of each kind, and only the first kind survives"
    for row in rows:
        assert row["db_id"] == "bookshop"
        assert row["SQL"] == GENERATED[0]  # the join is judged wrong, the rest fail
        assert row["sql_complexity_type"] in COMPLEXITY_LEVELS
        assert row["question"].startswith("Which books match")
        assert "【DB_ID】 bookshop" in row["prompt"]
        assert row["cot_reasoning"] == fenced(GENERATED[0])
        assert len(row["cot_responses"]) == 3
        assert row["sql_component_difficulty"] == "easy"
        assert row["sql_execution_difficulty"] == "medium"  # 7 of 10 right
    dropped = list(result.dropped.records())
    by_op: dict[str, list[str]] = {}
    for d in dropped:
        by_op.setdefault(d.operator, []).append(d.reason)
    execs = by_op["SQLExecutabilityFilter"]
    assert sum("no such column: shelf" in r for r in execs) == 2
    assert sum(r.startswith("no SQL") for r in execs) == 2
    assert len(by_op["Text2SQLCorrespondenceFilter"]) == 2  # the COUNT(*) join, judged NO
    assert result.dead_letters.count == 0
    assert {"generate", "question", "judge", "cot", "attempt"} <= set(model.kinds)


def test_refine_pipeline_end_to_end(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STREAMFLOW_CACHE", str(tmp_path / "cache"))
    pipeline = Text2SQLRefinePipeline(llm_serving=BookshopModel(), num_variations=2)
    out = tmp_path / "refine.jsonl"
    result = pipeline.run(output=out, run_dir=tmp_path / "run")
    rows = _rows(out)
    assert rows
    for row in rows:
        assert row["SQL"].endswith(" LIMIT 5")
        assert row["sql_variation_type"]
        assert row["question"].startswith("Which books match")
        assert row["sql_execution_difficulty"] in {"extra", "hard", "medium", "easy"}
    reasons = [d.reason for d in result.dropped.records()]
    assert any(r.startswith("no SQL") for r in reasons)  # the variants without a query


class LongerAnswers(LLMServing):
    """The session's engine asked for longer answers (its fixture caps them at 64 tokens, too
    few for a query after the model's preamble)."""

    model = "smollm2-longer"

    def __init__(self, inner: LLMServing, max_tokens: int) -> None:
        super().__init__(
            max_in_flight=inner.max_in_flight,
            params=dataclasses.replace(inner.params, max_tokens=max_tokens),
        )
        self.inner = inner

    async def _complete(
        self, messages: list[Message], json_schema: object, params: SamplingParams
    ) -> Completion:
        return await self.inner.complete(messages, params=params)


def _chinook_folder(tmp_path: Path) -> Path:
    chinook = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sql"
    if not (chinook / "chinook.sqlite").is_file():
        pytest.skip("../shared/data/sql/chinook.sqlite is absent")
    folder = tmp_path / "databases" / "chinook"
    folder.mkdir(parents=True)
    (folder / "chinook.sqlite").write_bytes((chinook / "chinook.sqlite").read_bytes())
    return folder.parent


def _accounted(result) -> None:
    """Every step's rows in are its rows out, dropped (with a reason) or failed (with one)."""
    dropped: dict[str, int] = {}
    for d in result.dropped.records():
        assert d.reason.strip(), d
        dropped[d.operator] = dropped.get(d.operator, 0) + 1
    for letter in result.dead_letters.records():
        assert letter.error.strip(), letter
    for step in result.stats.operators:
        if step.kind in ("row_generator",):
            continue
        assert step.rows_in == step.rows_out + step.dropped + step.failed, step
        assert step.dropped == dropped.get(step.name, 0), step


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_gen_pipeline_on_chinook_with_the_embedded_model(tmp_path, vllm_serving) -> None:
    """text2sql_gen end to end on Chinook with SmolLM2-135M (1024-token context): one table and
    one sample row per prompt so that prompts fit. Whatever the small model writes (it mostly
    copies the CREATE TABLE it was shown), every generated query is kept or dropped with its
    reason, and every row that reaches the output carries all the fields."""
    manager = DatabaseManager(source=_chinook_folder(tmp_path), sample_rows=1)
    pipeline = Text2SQLGenPipeline(
        manager,
        llm_serving=LongerAnswers(vllm_serving, 160),
        generate_num=8,
        question_candidates_num=2,
        sampling_num=2,
        num_generations=10,
        max_tables=1,
    )
    pipeline.accept_truncated_answers()  # the 135M model talks past 160 tokens
    out = tmp_path / "chinook_gen.jsonl"
    result = await pipeline.arun(output=out, run_dir=tmp_path / "run", batch_size=8)
    _accounted(result)
    steps = {s.name: s for s in result.stats.operators}
    assert steps["SQLGenerator"].rows_out == 8
    assert steps["SQLExecutabilityFilter"].rows_in == 8
    drops = [d for d in result.dropped.records() if d.operator == "SQLExecutabilityFilter"]
    assert drops, "SmolLM2-135M writes some SQL that does not run"
    known = ("no SQL", "EXPLAIN failed", "sqlglot cannot parse", "not a query")
    assert all(d.reason.startswith(known) or "statements; one query" in d.reason for d in drops)
    for row in _rows(out) if out.exists() else []:
        assert manager.attempt("chinook", row["SQL"]).success
        assert row["sql_component_difficulty"] in {"easy", "medium", "hard", "extra"}


CHINOOK_QUESTIONS = [
    ("SELECT Name FROM Genre", "List the names of all genres."),
    ("SELECT COUNT(*) FROM Artist", "How many artists are there?"),
    ("SELECT Title FROM Album WHERE ArtistId = 1", "Which albums has artist 1 made?"),
    (
        "SELECT Name, Milliseconds FROM Track ORDER BY Milliseconds DESC LIMIT 3",
        "What are the three longest tracks and their lengths?",
    ),
]


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_llm_steps_on_chinook_with_the_embedded_model(tmp_path, vllm_serving, chain) -> None:
    """Each LLM step after generation, fed queries that run and questions of ours, with the
    real engine (a 135M model rarely writes what the next step needs, so each step gets good
    input of its own): every row is accounted for, k samples come back from one request, and a
    trace the vote chose always holds a query that runs."""
    manager = DatabaseManager(source=_chinook_folder(tmp_path), sample_rows=1)
    serving = LongerAnswers(vllm_serving, 160)
    source = tmp_path / "input_with_questions.jsonl"
    source.write_text(
        "".join(
            json.dumps({"db_id": "chinook", "SQL": sql, "question": q, "evidence": ""}) + "\n"
            for sql, q in CHINOOK_QUESTIONS
        )
    )
    keys = {"input_sql_key": "SQL", "input_db_id_key": "db_id"}

    bare = tmp_path / "input_queries.jsonl"  # no questions yet
    bare.write_text(
        "".join(json.dumps({"db_id": "chinook", "SQL": sql}) + "\n" for sql, _ in CHINOOK_QUESTIONS)
    )

    async def run(name: str, steps: list, entry: Path = source) -> tuple[object, list[dict]]:
        out = tmp_path / f"{name}.jsonl"
        pipeline = chain(
            steps, entry_file=str(entry), output_file=str(out), run_dir=str(tmp_path / name)
        )
        result = await pipeline.arun(max_failed_fraction=1.0)
        _accounted(result)
        return result, _rows(out) if out.exists() else []

    # k reasoning traces per row from one request each, then the vote by execution
    result, rows = await run(
        "cot",
        [
            (
                Text2SQLCoTGenerator(
                    serving, manager, sampling_num=3, max_tables=1
                ).accept_truncated_answers(),
                keys,
            ),
            (Text2SQLCoTVotingGenerator(manager), {"input_db_id_key": "db_id"}),
        ],
    )
    cot = {s.name: s for s in result.stats.operators}["Text2SQLCoTGenerator"]
    assert cot.rows_out == 4 and cot.completion_tokens > 0
    for row in rows:
        assert len(row["cot_responses"]) == 3
        assert manager.attempt("chinook", extract_sql(row["cot_reasoning"])).success
    for letter in result.dead_letters.records():
        assert letter.operator == "Text2SQLCoTVotingGenerator"
        assert letter.error.startswith("no trace's query ran")

    # the training prompt and how often 10 attempts (one request) match the gold result
    result, rows = await run(
        "labels",
        [
            (Text2SQLPromptGenerator(manager, max_tables=1), {"input_sql_key": "SQL"}),
            (
                SQLExecutionClassifier(
                    serving, manager, num_generations=10
                ).accept_truncated_answers(),
                keys,
            ),
            (SQLComponentClassifier(), {"input_sql_key": "SQL"}),
        ],
    )
    assert len(rows) + result.dead_letters.count == 4
    for row in rows:
        assert row["sql_execution_difficulty"] in {"easy", "medium", "hard", "extra"}
        assert "【DB_ID】 chinook" in row["prompt"]
    assert [r["sql_component_difficulty"] for r in rows] == [
        {
            "List the names of all genres.": "easy",
            "How many artists are there?": "easy",
            "Which albums has artist 1 made?": "easy",
            "What are the three longest tracks and their lengths?": "medium",
        }[r["question"]]
        for r in rows
    ]

    # questions written by the model (k candidates from one request), then the judge
    result, rows = await run(
        "questions",
        [
            (
                Text2SQLQuestionGenerator(
                    serving, database_manager=manager, question_candidates_num=2
                ).accept_truncated_answers(),
                keys,
            )
        ],
        entry=bare,
    )
    asked = result.stats.operators[0]
    assert asked.requests >= 4 and asked.completion_tokens > 0  # a failed row is retried once
    assert len(rows) + result.dead_letters.count == 4
    assert all(r["question"].strip() and r["question_type"] for r in rows)
    assert all(d.error.startswith("none of 2 answers") for d in result.dead_letters.records())
    result, rows = await run(
        "judge",
        [
            (
                Text2SQLCorrespondenceFilter(
                    serving, manager, max_tables=1
                ).accept_truncated_answers(),
                {**keys, "input_question_key": "question"},
            )
        ],
    )
    judged = result.stats.operators[0]
    assert judged.rows_out == len(rows) and judged.rows_out + judged.dropped + judged.failed == 4
    assert all(
        d.error.startswith("the judge gave no YES/NO verdict")
        for d in result.dead_letters.records()
    )
