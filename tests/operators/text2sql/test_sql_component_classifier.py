from __future__ import annotations

import pytest

from streamflow.operators.text2sql import SQLComponentClassifier
from streamflow.testing import apply

ROWS = [
    {"SQL": "SELECT name FROM artist"},
    {"SQL": "SELECT name, composer FROM track"},
    {"SQL": "SELECT name FROM artist UNION SELECT name FROM genre"},
    {"SQL": "SELECT name FROM artist WHERE name LIKE 'A%' OR name LIKE 'B%'"},
    {"SQL": "DROP TABLE artist"},
    {"SQL": None},
]


def test_labels_rows_and_fails_the_rest() -> None:
    op = SQLComponentClassifier()
    assert op.executor_kind == "process"
    out = apply(op, ROWS)
    assert [r["sql_component_difficulty"] for r in out.batch.rows] == [
        "easy",
        "medium",
        "hard",
        "extra",
    ]
    assert [reason for _, _, reason in out.failed] == [
        "not a query: DROP statement",
        "no query in 'SQL'",
    ]


def test_dataflow_arguments_rename_the_levels() -> None:
    op = SQLComponentClassifier(
        difficulty_thresholds=[2, 4, 6], difficulty_labels=["e", "m", "h", "x"]
    )
    out = apply(op, ROWS[:4], output_difficulty_key="level")
    assert [r["level"] for r in out.batch.rows] == ["e", "m", "h", "x"]
    with pytest.raises(ValueError, match="4 levels"):
        SQLComponentClassifier(difficulty_labels=["easy", "hard"])
    with pytest.raises(ValueError, match="mismatch"):
        SQLComponentClassifier(difficulty_thresholds=[1], difficulty_labels=["a", "b", "c", "d"])
