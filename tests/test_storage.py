"""FileStorage with DataFlow's signature: positional order, names, output naming and format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import FileStorage, Filter, Generator, Pipeline, StreamflowError
from streamflow.operators.general_text import RemoveExtraSpacesRefiner


def test_positional_arguments_are_dataflows_order(tmp_path: Path) -> None:
    storage = FileStorage("in.jsonl", tmp_path / "cache", "step", "json")
    assert storage.entry_file == "in.jsonl"
    assert storage.output_file == tmp_path / "cache" / "step_output.json"
    assert storage.run_dir is None


def test_dataflows_keywords_are_accepted(tmp_path: Path) -> None:
    storage = FileStorage(
        first_entry_file_name="in.jsonl", cache_path=str(tmp_path), file_name_prefix="p"
    )
    assert storage.entry_file == "in.jsonl"
    assert storage.output_file == tmp_path / "p_output.jsonl"


class Spaces(Pipeline):
    def __init__(self, src: Path, cache: Path, run_dir: Path | None) -> None:
        self.storage = FileStorage(str(src), str(cache), "dataflow_cache_step", "json")
        if run_dir is not None:
            self.storage = self.storage.with_overrides(run_dir=run_dir)
        self.refine = RemoveExtraSpacesRefiner()

    def forward(self) -> None:
        self.refine.run(self.storage.step(), input_key="text")


@pytest.mark.parametrize("with_run_dir", [False, True])
def test_cache_type_json_writes_a_json_array_into_a_created_cache_path(tmp_path, with_run_dir):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"a  b {i}"} for i in range(5)])
    cache = tmp_path / "missing" / "cache"
    run_dir = tmp_path / "run" if with_run_dir else None
    Spaces(src, cache, run_dir).run()
    written = json.loads((cache / "dataflow_cache_step_output.json").read_text())
    assert written == [{"text": f"a b {i}"} for i in range(5)]


@pytest.mark.parametrize("name", ["hf:openai/gsm8k", "ms:modelscope/gsm8k"])
def test_a_dataset_hub_name_is_refused_with_what_to_do(name: str) -> None:
    with pytest.raises(StreamflowError, match="download it first"):
        FileStorage(name)


class Count(Generator):
    def process(self, rows, input_key="text", output_key="words"):
        return [{**row, output_key: len(row[input_key].split())} for row in rows]


class LongOnly(Filter):
    """Writes its label into the rows it is given, in place, as DataFlow's filters do."""

    def process(self, rows, input_key="words"):
        for row in rows:
            row["long_label"] = int(row[input_key] > 1)
        return [row["long_label"] == 1 for row in rows]


class Kept(Pipeline):
    def __init__(self, storage: FileStorage) -> None:
        self.storage = storage
        self.count = Count()
        self.long = LongOnly()
        self.spaces = RemoveExtraSpacesRefiner()

    def forward(self) -> None:
        self.count.run(self.storage.step(), input_key="text")
        self.long.run(self.storage.step(), input_key="words")
        self.spaces.run(self.storage.step(), input_key="text")


@pytest.mark.parametrize("cache_type", ["jsonl", "json"])
def test_keep_steps_writes_each_steps_rows_under_dataflows_names(tmp_path, cache_type) -> None:
    rows = [{"text": f"row  {i}" if i % 2 else "one"} for i in range(600)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    cache = tmp_path / "cache"
    storage = FileStorage(str(src), cache, "df", cache_type, keep_steps=True)
    for _ in range(2):  # a second run starts the step files afresh
        result = Kept(storage).run(batch_size=64)

    def step(k: int) -> list[dict]:
        text = (cache / f"df_step{k}.{cache_type}").read_text()
        return json.loads(text) if cache_type == "json" else read_jsonl(cache / f"df_step{k}.jsonl")

    words = [{**row, "words": len(row["text"].split())} for row in rows]
    assert step(1) == words  # before the filter wrote its label into these rows
    long = [{**row, "long_label": 1} for row in words if row["words"] > 1]
    assert step(2) == long and len(long) == 300
    assert step(3) == [{**row, "text": " ".join(row["text"].split())} for row in long]
    assert step(3) == (
        json.loads(storage.output_file.read_text())
        if cache_type == "json"
        else read_jsonl(storage.output_file)
    )
    assert result.rows_written == 300
    assert not (cache / f"df_step4.{cache_type}").exists()
