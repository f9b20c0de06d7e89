from __future__ import annotations

import re

import pytest
from text2sql_fakes import sql_answer

from streamflow.operators.text2sql import SQLByColumnGenerator, SQLGenerator
from streamflow.operators.text2sql.prompts import COMPLEXITY_LEVELS
from streamflow.rows import Failure
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply


def _answer(prompt: str) -> str:
    level = re.search(r"Complexity: ([\w ]+)\.", prompt)
    return sql_answer(f"SELECT 1 -- {level.group(1) if level else '?'}")


def test_generates_per_database_with_complexity_levels(manager) -> None:
    serving = ScriptedServing(_answer)
    op = SQLGenerator(serving, manager, generate_num=4)
    out = apply(op, [{}], ids=["go"])
    children = out.batch.rows
    assert len(children) == 8  # 4 per database, 2 databases
    assert [c["db_id"] for c in children] == ["chinook"] * 4 + ["shop"] * 4
    assert out.batch.ids == [f"go/{k}" for k in range(8)]
    for child in children:
        assert child["sql_complexity_type"] in COMPLEXITY_LEVELS
        assert child["SQL"] == f"SELECT 1 -- {child['sql_complexity_type']}"
    chinook_prompt, shop_prompt = serving.prompts[0], serving.prompts[4]
    assert "CREATE TABLE [Album]" in chinook_prompt and "SQLite" in chinook_prompt
    assert "CREATE TABLE customer" in shop_prompt and "INSERT INTO" in shop_prompt
    assert re.search(r"returns exactly \d+ column", shop_prompt)


def test_prompts_are_seeded_by_row_id(manager) -> None:
    first, again, other = (ScriptedServing(_answer) for _ in range(3))
    apply(SQLGenerator(first, manager, generate_num=6), [{}], ids=["a"])
    apply(SQLGenerator(again, manager, generate_num=6), [{}], ids=["a"])
    apply(SQLGenerator(other, manager, generate_num=6), [{}], ids=["b"])
    assert first.prompts == again.prompts
    assert first.prompts != other.prompts
    assert len(set(first.prompts)) > 1  # the draws differ between the k prompts of one row


def test_one_database_per_row_and_unknown_ones(manager) -> None:
    op = SQLGenerator(ScriptedServing(_answer), manager, generate_num=2)
    out = apply(op, [{"database": "shop"}, {"database": "nope"}], input_db_id_key="database")
    assert [c["db_id"] for c in out.batch.rows] == ["shop", "shop"]
    assert len(out.failed) == 1 and "unknown database 'nope'" in out.failed[0][2]


def test_answer_without_sql_and_failed_requests(manager) -> None:
    op = SQLGenerator(ScriptedServing(lambda p: "I cannot help."), manager, generate_num=1)
    out = apply(op, [{}])
    assert [c["SQL"] for c in out.batch.rows] == ["", ""]  # the filter drops them, with reason

    def refuse(prompt: str) -> str:
        raise LLMRequestError("context too long")

    failed = apply(SQLGenerator(ScriptedServing(refuse), manager, generate_num=1), [{}])
    assert failed.batch.rows == [] and failed.failed[0][2] == "context too long"


def test_an_answer_cut_off_at_max_tokens_fails_the_row(manager) -> None:
    serving = ScriptedServing(lambda p: sql_answer("SELECT 1"), cut_off=lambda text: True)
    out = apply(SQLGenerator(serving, manager, generate_num=1), [{}])
    assert out.batch.rows == [] and out.failed[0][2].startswith("answer cut off at max_tokens=")
    kept = apply(SQLGenerator(serving, manager, generate_num=1).accept_truncated_answers(), [{}])
    assert [c["SQL"] for c in kept.batch.rows] == ["SELECT 1", "SELECT 1"]


def test_needs_databases_and_a_positive_count(manager) -> None:
    with pytest.raises(ValueError, match="database_manager"):
        SQLGenerator(ScriptedServing())
    with pytest.raises(ValueError, match="generate_num"):
        SQLGenerator(ScriptedServing(), manager, generate_num=0)


def test_by_column_covers_every_column(manager) -> None:
    serving = ScriptedServing(lambda p: sql_answer("SELECT 1"))
    op = SQLByColumnGenerator(serving, manager, generate_num=2)
    out = apply(op, [{"database": "shop"}], input_db_id_key="database")
    assert len(out.batch.rows) == 10  # 5 columns x 2
    assert all(set(c) == {"db_id", "SQL"} for c in out.batch.rows)
    focused = [re.search(r"must use the column (\S+)\.", p).group(1) for p in serving.prompts]
    assert sorted(set(focused)) == [
        "customer.city",
        "customer.id",
        "customer.name",
        "orders.customer_id",
        "orders.id",
    ]
    assert isinstance(Failure("x"), Failure)
