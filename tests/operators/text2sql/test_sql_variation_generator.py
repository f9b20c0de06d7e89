from __future__ import annotations

from text2sql_fakes import sql_answer

from streamflow.operators.text2sql import SQLVariationGenerator
from streamflow.operators.text2sql.prompts import VARIATION_TYPES
from streamflow.testing import ScriptedServing, apply

SEED = "SELECT name FROM customer WHERE city = 'Paris'"


def test_variants_replace_the_seed(manager) -> None:
    serving = ScriptedServing(
        lambda p: sql_answer("SELECT city, COUNT(*) FROM customer GROUP BY city")
    )
    op = SQLVariationGenerator(serving, manager, num_variations=5)
    out = apply(op, [{"db_id": "shop", "SQL": SEED, "question": "old"}], ids=["s"])
    assert out.batch.ids == [f"s/{k}" for k in range(5)]
    for child in out.batch.rows:
        assert set(child) == {"db_id", "SQL", "sql_variation_type"}
        assert child["SQL"].startswith("SELECT city")
        assert child["sql_variation_type"] in VARIATION_TYPES
    for prompt, child in zip(serving.prompts, out.batch.rows, strict=True):
        assert SEED in prompt
        assert f"Variation: {child['sql_variation_type']}." in prompt


def test_bad_seed_rows_fail_with_their_reason(manager) -> None:
    op = SQLVariationGenerator(ScriptedServing(lambda p: sql_answer("SELECT 1")), manager, 2)
    out = apply(op, [{"db_id": "nope", "SQL": SEED}, {"db_id": "shop", "SQL": " "}])
    reasons = [reason for _, _, reason in out.failed]
    assert "unknown database 'nope'" in reasons[0]
    assert reasons[1] == "no seed query in 'SQL'"


def test_variant_without_sql_reaches_the_filter_empty(manager) -> None:
    op = SQLVariationGenerator(ScriptedServing(lambda p: "no idea"), manager, num_variations=2)
    out = apply(op, [{"db_id": "shop", "SQL": SEED}])
    assert [c["SQL"] for c in out.batch.rows] == ["", ""]
