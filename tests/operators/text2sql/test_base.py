"""The family's shared helpers: the SQL in an answer, what counts as one read query, seeded
draws, k-sample parameters, and schema focusing for small contexts."""

from __future__ import annotations

import pytest
from text2sql_fakes import sql_answer

from streamflow.operators.text2sql import SQLGenerator, Text2SQLPromptGenerator
from streamflow.operators.text2sql.base import (
    check_query,
    extract_sql,
    focus_schema,
    query_tables,
    sampling_params,
    seeded_rng,
)
from streamflow.serving.base import SamplingParams
from streamflow.testing import ScriptedServing, apply


def test_extract_sql() -> None:
    assert extract_sql(sql_answer("SELECT 1")) == "SELECT 1"
    two = "First:\n```sql\nSELECT 1\n```\nBetter:\n```SQL\nSELECT 2\n```"
    assert extract_sql(two) == "SELECT 2"  # the last block, any case
    labelled_wins = "```sql\nSELECT 1\n```\nthen\n```\nSELECT 9\n```"
    assert extract_sql(labelled_wins) == "SELECT 1"
    copied = "Here:\n```\nCREATE TABLE [Genre] (x INTEGER)\n```\nA table."
    assert extract_sql(copied) == "CREATE TABLE [Genre] (x INTEGER)"  # the filter says why not
    assert extract_sql("```python\nprint(1)\n```") == ""
    bare = "The answer is\nSELECT name\nFROM artist;\nwhich lists names."
    assert extract_sql(bare) == "SELECT name\nFROM artist;"
    assert extract_sql("I cannot write that query.") == ""
    assert extract_sql(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sql", "dialect", "reason"),
    [
        ("SELECT 1", "sqlite", None),
        ("WITH a AS (SELECT 1) SELECT * FROM a", "postgres", None),
        ("SELECT 1 UNION SELECT 2", "mysql", None),
        ("UPDATE t SET a = 1", "sqlite", "not a query: UPDATE statement"),
        ("", "sqlite", "no SQL (the answer holds no query)"),
    ],
)
def test_check_query(sql: str, dialect: str, reason: str | None) -> None:
    assert check_query(sql, dialect) == reason


def test_seeded_draws_and_sampling_params() -> None:
    assert seeded_rng("r", 1).random() == seeded_rng("r", 1).random()
    assert seeded_rng("r", 1).random() != seeded_rng("r", 2).random()
    serving = ScriptedServing(params=SamplingParams(temperature=0.0, max_tokens=99))
    one, many = sampling_params(serving, 1), sampling_params(serving, 5)
    assert (one.n, one.temperature) == (1, 0.0)
    assert (many.n, many.temperature, many.max_tokens) == (5, 0.8, 99)
    assert sampling_params(serving, 5, temperature=0.3).temperature == 0.3
    warm = ScriptedServing(params=SamplingParams(temperature=1.1))
    assert sampling_params(warm, 5).temperature == 1.1


def test_focus_schema_keeps_the_query_tables_and_their_neighbours(manager) -> None:
    chinook = manager.schema("chinook")
    tables = query_tables("SELECT t.Name FROM Track t JOIN Genre g USING (GenreId)", "sqlite")
    assert tables == ["Track", "Genre"]
    focused = focus_schema(chinook, 3, required=tables)
    assert focused.table_names == ["Album", "Genre", "Track"]  # + Track's first neighbour
    assert focus_schema(chinook, None).table_names == chinook.table_names
    drawn = focus_schema(chinook, 2, rng=seeded_rng("x"))
    assert len(drawn.table_names) == 2
    first, second = drawn.table_names
    assert second in chinook.neighbours(first) or first in chinook.neighbours(second)
    assert query_tables("WITH c AS (SELECT * FROM Album) SELECT * FROM c", "sqlite") == ["Album"]


def test_max_tables_in_prompts(manager) -> None:
    serving = ScriptedServing(lambda p: sql_answer("SELECT 1"))
    apply(
        SQLGenerator(serving, manager, generate_num=5, max_tables=2),
        [{"database": "chinook"}],
        input_db_id_key="database",
    )
    assert all(p.count("CREATE TABLE") == 2 for p in serving.prompts)
    op = Text2SQLPromptGenerator(manager, max_tables=1)
    row = {"db_id": "chinook", "question": "q", "SQL": "SELECT Name FROM Genre"}
    out = apply(op, [row], input_sql_key="SQL")
    assert out.batch.rows[0]["prompt"].count("# Table:") == 1
    assert "# Table: Genre" in out.batch.rows[0]["prompt"]
    with pytest.raises(ValueError, match="needs input_sql_key"):
        op.run(object(), input_question_key="question")


def test_a_missing_sqlglot_fails_the_construction(manager, monkeypatch) -> None:
    from streamflow.extras import MissingDependency
    from streamflow.operators.text2sql import SQLComponentClassifier, SQLExecutionFilter

    monkeypatch.setitem(__import__("sys").modules, "sqlglot", None)
    with pytest.raises(MissingDependency, match=r"streamflow-data\[sql\]"):
        SQLExecutionFilter(manager)
    with pytest.raises(MissingDependency, match="SQLComponentClassifier"):
        SQLComponentClassifier()
