"""The text2sql pipelines end to end on the bookshop sample, with a scripted model that answers
each kind of prompt the way a real one would (good and bad queries alike), so every step, the
drops and their reasons, and the output fields are checked without an engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from streamflow.databases import DatabaseManager
from streamflow.pipelines.text2sql_gen import (
    Text2SQLGenPipeline,
    database_list,
    sample_databases,
)
from streamflow.pipelines.text2sql_refine import Text2SQLRefinePipeline
from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams, Usage

pytest.importorskip("sqlglot")

BY_LEVEL = {
    "Simple": "SELECT title FROM book WHERE price > 20",
    "Moderate": "SELECT a.name, COUNT(*) FROM author a JOIN book b ON b.author_id = a.author_id "
    "GROUP BY a.name",
    "Complex": "SELECT title FROM book WHERE shelf = 3",  # no such column: filtered
    "Highly Complex": "",  # no query at all: filtered
}


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
            self.kinds.append("generate")
            level = re.search(r"Complexity: ([\w ]+?)\.", prompt).group(1)
            return fenced(BY_LEVEL[level])
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
    assert rows, "some generated queries must survive"
    for row in rows:
        assert row["db_id"] == "bookshop"
        assert row["SQL"] == BY_LEVEL["Simple"]  # the join is judged wrong, the rest fail
        assert row["sql_complexity_type"] == "Simple"
        assert row["question"].startswith("Which books match")
        assert "【DB_ID】 bookshop" in row["prompt"]
        assert row["cot_reasoning"] == fenced(BY_LEVEL["Simple"])
        assert len(row["cot_responses"]) == 3
        assert row["sql_component_difficulty"] == "easy"
        assert row["sql_execution_difficulty"] == "medium"  # 7 of 10 right
    dropped = list(result.dropped.records())
    by_op: dict[str, list[str]] = {}
    for d in dropped:
        by_op.setdefault(d.operator, []).append(d.reason)
    execs = by_op["SQLExecutabilityFilter"]
    assert any("no such column: shelf" in r for r in execs)
    assert any(r.startswith("no SQL") for r in execs)
    assert by_op["Text2SQLCorrespondenceFilter"]  # the COUNT(*) join, judged NO
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


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_gen_pipeline_on_chinook_with_the_embedded_model(tmp_path, vllm_serving) -> None:
    """text2sql_gen end to end on Chinook with SmolLM2-135M (1024-token context, 64-token
    answers): one table and one sample row per prompt so that prompts fit. Whatever the small
    model writes, every generated query is either kept or dropped with its reason, and every
    row that reaches the output carries all the fields."""
    chinook = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sql"
    if not (chinook / "chinook.sqlite").is_file():
        pytest.skip("../shared/data/sql/chinook.sqlite is absent")
    folder = tmp_path / "databases" / "chinook"
    folder.mkdir(parents=True)
    (folder / "chinook.sqlite").write_bytes((chinook / "chinook.sqlite").read_bytes())
    manager = DatabaseManager(source=folder.parent, sample_rows=1)
    pipeline = Text2SQLGenPipeline(
        manager,
        llm_serving=vllm_serving,
        generate_num=8,
        question_candidates_num=2,
        sampling_num=2,
        num_generations=10,
        max_tables=1,
    )
    out = tmp_path / "chinook_gen.jsonl"
    result = await pipeline.arun(output=out, run_dir=tmp_path / "run", batch_size=8)
    steps = {s.name: s for s in result.stats.operators}
    generated = steps["SQLGenerator"].rows_out
    assert generated == 8
    executable = steps["SQLExecutabilityFilter"]
    drops = [d for d in result.dropped.records() if d.operator == "SQLExecutabilityFilter"]
    assert executable.rows_in == generated
    assert executable.rows_out + len(drops) == generated  # nothing lost without a reason
    assert drops, "SmolLM2-135M writes some SQL that does not run"
    known = ("no SQL", "EXPLAIN failed", "sqlglot cannot parse", "not a query", "statements;")
    for drop in drops:
        assert drop.reason.startswith(known) or "statements; one query" in drop.reason, drop
    for letter in result.dead_letters.records():
        assert letter.error.strip(), letter
    rows = _rows(out) if out.exists() else []
    fields = {
        "SQL",
        "db_id",
        "question",
        "evidence",
        "prompt",
        "cot_reasoning",
        "sql_component_difficulty",
        "sql_execution_difficulty",
    }
    for row in rows:
        assert fields <= set(row)
        assert row["sql_component_difficulty"] in {"easy", "medium", "hard", "extra"}
        assert row["sql_execution_difficulty"] in {"easy", "medium", "hard", "extra"}
        assert manager.attempt("chinook", row["SQL"]).success
