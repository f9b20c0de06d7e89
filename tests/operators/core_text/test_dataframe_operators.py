"""GeneralFilter (DataFrame rules over batches of rows) and PandasOperator (DataFrame functions
over the whole dataset)."""

from __future__ import annotations

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.core_text import GeneralFilter, PandasOperator
from streamflow.operators.dataframe import DataFrameOperatorError
from streamflow.rows import Batch
from streamflow.testing import apply

pd = pytest.importorskip("pandas")

ROWS = [
    {"text": "short", "score": 1, "lang": "en"},
    {"text": "a much longer text", "score": 4, "lang": "en"},
    {"text": "ein Text", "score": 5, "lang": "de"},
]


def test_general_filter_callables_and_expressions():
    op = GeneralFilter([lambda df: df["score"] >= 3, "lang == 'en'"])
    out = apply(op, [dict(r) for r in ROWS])
    assert [r["text"] for r in out.batch.rows] == ["a much longer text"]
    reasons = [d.reason for d in out.dropped]
    assert reasons[0].startswith("failed rule 0 (<lambda>)")
    assert reasons[1] == "failed rule 1 (\"lang == 'en'\")"


def test_general_filter_bad_rules_fail_rows_with_the_reason():
    out = apply(GeneralFilter([lambda df: df["missing"] > 0]), [dict(r) for r in ROWS])
    assert len(out.failed) == 3 and "raised KeyError" in out.failed[0][2]
    out = apply(GeneralFilter([lambda df: df["score"]]), [dict(r) for r in ROWS])
    assert "returned int64 values, not booleans" in out.failed[0][2]
    out = apply(GeneralFilter([lambda df: True]), [dict(r) for r in ROWS])
    assert "one boolean per row" in out.failed[0][2]
    with pytest.raises(ValueError, match="rule 0 must be a callable"):
        GeneralFilter([3])  # type: ignore[list-item]


def whole(op: PandasOperator, rows: list[dict]) -> Batch:
    """The operator over a dataset of ``rows`` (ids row:0, row:1, ...), as the stage calls it."""
    return op.transform(Batch([f"row:{i}" for i in range(len(rows))], [dict(r) for r in rows]))


def test_pandas_operator_keeps_ids_where_the_index_says_which_row() -> None:
    def add_length(df):
        return df.assign(length=df["text"].str.len())

    def drop_german(df):
        return df[df["lang"] != "de"]

    out = whole(PandasOperator([add_length, drop_german]), ROWS)
    assert [r["length"] for r in out.rows] == [5, 18]
    assert out.ids == ["row:0", "row:1"]
    exploded = whole(PandasOperator([lambda df: df.explode("tags")]), [{"tags": ["a", "b"]}])
    assert [r["tags"] for r in exploded.rows] == ["a", "b"]
    assert exploded.ids[0] == "row:0" and exploded.ids[1] != "row:0"  # a repeated label: new id


def test_pandas_operator_sees_the_whole_dataset_as_dataflow_does() -> None:
    ranked = whole(PandasOperator([lambda df: df.sort_values("score", ascending=False)]), ROWS)
    assert [r["score"] for r in ranked.rows] == [5, 4, 1]
    assert ranked.ids == ["row:2", "row:1", "row:0"]
    totals = whole(
        PandasOperator([lambda df: df.groupby("lang", as_index=False)["score"].sum()]), ROWS
    )
    assert totals.rows == [{"lang": "de", "score": 5}, {"lang": "en", "score": 5}]
    again = whole(
        PandasOperator([lambda df: df.groupby("lang", as_index=False)["score"].sum()]), ROWS
    )
    assert again.ids == totals.ids  # new rows get the same ids on every run over the same input


def test_pandas_operator_errors_name_the_function() -> None:
    def broken(df):
        return df["missing"]

    with pytest.raises(DataFrameOperatorError, match=r"process_fn 0 \(broken\) raised KeyError"):
        whole(PandasOperator([broken]), ROWS)
    with pytest.raises(DataFrameOperatorError, match="must return a DataFrame, not NoneType"):
        whole(PandasOperator([lambda df: None]), ROWS)
    with pytest.raises(ValueError, match="non-empty list of callables"):
        PandasOperator([])


def test_pandas_operator_in_a_pipeline(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [dict(r) for r in ROWS])
    out = tmp_path / "out.jsonl"
    ranked = PandasOperator(
        [lambda df: df.sort_values("score", ascending=False).assign(rank=range(1, len(df) + 1))]
    )
    steps = [(ranked, {}), (GeneralFilter(["score > 1"]), {})]
    chain(steps, entry_file=src, output_file=out).run(batch_size=2)  # 3 rows: two batches
    assert [(r["score"], r["rank"]) for r in read_jsonl(out)] == [(5, 1), (4, 2)]
