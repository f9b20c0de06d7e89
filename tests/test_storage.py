"""FileStorage with DataFlow's signature: positional order, names, output naming and format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write_jsonl

from streamflow import FileStorage, Pipeline, StreamflowError
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
