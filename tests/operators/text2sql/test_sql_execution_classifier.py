from __future__ import annotations

import logging

import pytest
from text2sql_fakes import SampledServing, sql_answer

from streamflow.operators.text2sql import SQLExecutionClassifier
from streamflow.testing import apply

GOLD = "SELECT Name FROM Genre WHERE GenreId <= 3"
SAME = "SELECT Name FROM Genre WHERE GenreId IN (3, 2, 1)"  # other text, same rows
OTHER = "SELECT Name FROM Genre WHERE GenreId <= 4"


def _attempts(correct: int, total: int = 10) -> list[str]:
    wrong = [sql_answer(OTHER), "no query", sql_answer("SELECT broken FROM")]
    return [sql_answer(SAME)] * correct + [wrong[k % 3] for k in range(total - correct)]


@pytest.mark.parametrize(
    ("correct", "label"),
    [
        (0, "extra"),
        (2, "extra"),
        (3, "hard"),
        (5, "hard"),
        (6, "medium"),
        (9, "medium"),
        (10, "easy"),
    ],
)
def test_label_from_correct_attempts(manager, correct: int, label: str) -> None:
    serving = SampledServing(lambda prompt, n: _attempts(correct, n))
    op = SQLExecutionClassifier(serving, manager)
    out = apply(op, [{"db_id": "chinook", "SQL": GOLD, "prompt": "Write the query."}])
    assert out.batch.rows[0]["sql_execution_difficulty"] == label
    assert serving.requests[0][1].n == 10


def test_gold_that_does_not_run_fails_the_row(manager) -> None:
    serving = SampledServing(lambda prompt, n: _attempts(10, n))
    rows = [
        {"db_id": "chinook", "SQL": "SELECT missing_col FROM Genre", "prompt": "p"},
        {"db_id": "chinook", "SQL": GOLD, "prompt": ""},
    ]
    out = apply(SQLExecutionClassifier(serving, manager), rows)
    reasons = [reason for _, _, reason in out.failed]
    assert reasons[0].startswith("the gold query does not run (error): no such column")
    assert reasons[1] == "no prompt in 'prompt'"


def test_dataflow_configuration_rules(manager, caplog) -> None:
    serving = SampledServing(lambda prompt, n: _attempts(n, n))
    with caplog.at_level(logging.WARNING):
        op = SQLExecutionClassifier(serving, manager, num_generations=5)
    assert op.num_generations == 10 and "using 10" in caplog.text
    with pytest.raises(ValueError, match="configuration mismatch"):
        SQLExecutionClassifier(serving, manager, difficulty_thresholds=[1], difficulty_labels=["a"])
    custom = SQLExecutionClassifier(
        serving,
        manager,
        num_generations=4,
        difficulty_thresholds=[1, 3],
        difficulty_labels=["h", "m", "e"],
    )
    assert [custom.classify(k) for k in range(5)] == ["h", "h", "m", "m", "e"]
