"""SQLComponentClassifier: Spider's hardness of each query (easy / medium / hard / extra)."""

from __future__ import annotations

from collections.abc import Sequence

from streamflow.actors.base import SampleEvaluator
from streamflow.extras import require
from streamflow.operators.text2sql.spider_hardness import HARDNESS_LEVELS, spider_hardness
from streamflow.rows import Failure, Row

__all__ = ["SQLComponentClassifier"]


class SQLComponentClassifier(SampleEvaluator):
    """Labels each query with Spider's hardness: easy, medium, hard or extra.

    Labels each query with Spider's hardness, computed exactly as Spider's official
    ``evaluation.py`` computes it, on sqlglot's parse (the rules, their quirks and how they
    extend to SQL Spider's parser rejects are in
    :mod:`streamflow.operators.text2sql.spider_hardness`). CPU work, in a worker process pool.

    A query sqlglot cannot parse as one read query fails with the reason.

    Difference from DataFlow: DataFlow's classifier scored keywords found in the SQL text
    against ``difficulty_thresholds``. Those parameters are accepted so that DataFlow pipelines
    run unchanged, but the label is Spider's: ``difficulty_thresholds`` is not used, and
    ``difficulty_labels`` (four names) renames easy, medium, hard and extra in that order.
    ``dialect`` (ours) is the sqlglot dialect the queries are parsed in.
    """

    executor = "process"

    def __init__(
        self,
        difficulty_thresholds: Sequence[int] | None = None,
        difficulty_labels: Sequence[str] | None = None,
        dialect: str = "sqlite",
    ) -> None:
        require("sqlglot", "sql", for_="SQLComponentClassifier")
        labels = list(difficulty_labels) if difficulty_labels is not None else None
        if labels is not None and len(labels) != len(HARDNESS_LEVELS):
            raise ValueError(
                f"SQLComponentClassifier: difficulty_labels names Spider's {len(HARDNESS_LEVELS)} "
                f"levels ({', '.join(HARDNESS_LEVELS)}); got {len(labels)} labels"
            )
        if (
            difficulty_thresholds is not None
            and labels is not None
            and len(difficulty_thresholds) != len(labels) - 1
        ):
            raise ValueError("SQLComponentClassifier: thresholds and labels configuration mismatch")
        self.labels = dict(zip(HARDNESS_LEVELS, labels or HARDNESS_LEVELS, strict=True))
        self.dialect = dialect

    def process(
        self,
        rows: list[Row],
        input_sql_key: str = "SQL",
        output_difficulty_key: str = "sql_component_difficulty",
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            sql = row.get(input_sql_key)
            if not isinstance(sql, str) or not sql.strip():
                out.append(Failure(f"no query in {input_sql_key!r}"))
                continue
            try:
                level, _ = spider_hardness(sql, self.dialect)
            except ValueError as exc:
                out.append(Failure(str(exc)))
                continue
            out.append({**row, output_difficulty_key: self.labels[level]})
        return out
