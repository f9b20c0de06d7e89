"""GeneralFilter and PandasOperator: DataFrame rules and functions over batches of rows."""

from __future__ import annotations

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.core_text import GeneralFilter, PandasOperator
from streamflow.operators.core_text.pandas_operator import WholeDatasetWarning
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


def test_pandas_operator_maps_rows_by_index():
    def add_length(df):
        return df.assign(length=df["text"].str.len())

    def drop_german(df):
        return df[df["lang"] != "de"]

    out = apply(PandasOperator([add_length, drop_german]), [dict(r) for r in ROWS])
    assert [r["length"] for r in out.batch.rows] == [5, 18]
    assert out.batch.ids == ["row:0/0", "row:1/0"]
    assert out.dropped[0].reason == "removed by process_fn"
    exploded = apply(
        PandasOperator([lambda df: df.explode("tags")]),
        [{"tags": ["a", "b"]}, {"tags": ["c"]}],
    )
    assert [r["tags"] for r in exploded.batch.rows] == ["a", "b", "c"]
    assert exploded.batch.ids == ["row:0/0", "row:0/1", "row:1/0"]


def test_pandas_operator_flags_whole_dataset_functions():
    with pytest.warns(WholeDatasetWarning, match="re-ordered"):
        out = apply(
            PandasOperator([lambda df: df.sort_values("score", ascending=False)]),
            [dict(r) for r in ROWS],
        )
    assert [r["score"] for r in out.batch.rows] == [1, 4, 5]  # input order kept
    grouped = apply(
        PandasOperator(
            [lambda df: df.groupby("lang", as_index=False)["score"].sum().set_index("lang")]
        ),
        [dict(r) for r in ROWS],
    )
    assert "needs the whole dataset" in grouped.failed[0][2]
    assert (
        "must return a DataFrame"
        in apply(PandasOperator([lambda df: None]), [dict(ROWS[0])]).failed[0][2]
    )


def test_pandas_operator_in_a_pipeline(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [dict(r) for r in ROWS])
    out = tmp_path / "out.jsonl"
    steps = [
        (PandasOperator([lambda df: df.assign(upper=df["text"].str.upper())]), {}),
        (GeneralFilter(["score > 1"]), {}),
    ]
    chain(steps, entry_file=src, output_file=out).run(batch_size=2)
    assert [r["upper"] for r in read_jsonl(out)] == ["A MUCH LONGER TEXT", "EIN TEXT"]
