"""FieldRemover: fields go, and compile() knows they are gone."""

from __future__ import annotations

import pytest
from helpers import write_jsonl

from streamflow import CompileError, Filter
from streamflow.operators.core_text import FieldRemover


class HasField(Filter):
    def process(self, rows, input_key: str):
        return [input_key in r for r in rows]


def test_removes_listed_fields_only():
    rows = [{"html": "<p>x</p>", "text": "x", "url": "u"}, {"text": "y"}]
    kept = FieldRemover().process(rows, input_keys=["html", "url"])
    assert kept == [{"text": "x"}, {"text": "y"}]
    assert rows[0]["html"] == "<p>x</p>"  # input rows are not mutated


def test_a_later_step_cannot_read_a_removed_field(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"html": "h", "text": "t"}])
    steps = [(FieldRemover(), {"input_keys": ["html"]}), (HasField(), {"input_key": "html"})]
    with pytest.raises(CompileError, match=r"input key 'html' is not produced.*available: text"):
        chain(steps, entry_file=src).compile()
