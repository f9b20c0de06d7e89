"""DataFlow-shaped pipeline files run as they are: plain classes whose ``__main__`` calls
``forward()`` (DataFlow's step-by-step model, each step's file named as DataFlow names it), the
same file through ``streamflow run`` (compiled and streamed), and DataFlow's forward()
arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, read_jsonl, write_jsonl

from streamflow import FileStorage, Pipeline, StreamflowError
from streamflow.operators.general_text import RemoveExtraSpacesRefiner, WordNumberFilter

PLAIN = """
from streamflow.operators.general_text import RemoveExtraSpacesRefiner, WordNumberFilter
from streamflow.utils.storage import FileStorage


class TextFilter_CPUPipeline():

    def __init__(self):
        self.storage = FileStorage(
            first_entry_file_name="input.jsonl",
            cache_path="./cache",
            file_name_prefix="dataflow_cache_step",
            cache_type="jsonl",
        )
        self.spaces = RemoveExtraSpacesRefiner()
        self.words = WordNumberFilter(min_words=3, max_words=5)

    def forward(self):
        self.spaces.run(storage=self.storage.step(), input_key="text")
        self.words.run(storage=self.storage.step(), input_key="text")


if __name__ == "__main__":
    pipeline = TextFilter_CPUPipeline()
    pipeline.forward()
"""

ROWS = [
    {"text": "one  two   three"},
    {"text": "just two"},
    {"text": "a b c d e f g"},
    {"text": " four   words are   here "},
]
# DataFlow's WordNumberFilter writes the word count under its label column.
KEPT = [
    {"text": "one two three", "word_number_filter_label": 3},
    {"text": "four words are here", "word_number_filter_label": 4},
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipeline.py").write_text(PLAIN)
    write_jsonl(tmp_path / "input.jsonl", ROWS)
    return tmp_path


def python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """This checkout's streamflow, run as a user would, in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


def test_python_file_runs_a_plain_class_step_by_step_as_dataflow_does(project: Path) -> None:
    done = python("pipeline.py", cwd=project)
    assert done.returncode == 0, done.stderr
    cache = project / "cache"
    assert read_jsonl(cache / "dataflow_cache_step_step1.jsonl") == [
        {"text": " ".join(r["text"].split())} for r in ROWS
    ]
    assert read_jsonl(cache / "dataflow_cache_step_step2.jsonl") == KEPT


def test_streamflow_run_compiles_and_streams_the_same_plain_class(project: Path) -> None:
    done = python("-m", "streamflow", "run", "pipeline.py", "--output", "out.jsonl", cwd=project)
    assert done.returncode == 0, done.stderr
    assert read_jsonl(project / "out.jsonl") == KEPT
    assert not (project / "cache" / "dataflow_cache_step_step1.jsonl").exists()  # streamed


class Words(Pipeline):
    def __init__(self, src: Path, out: Path, run_dir: Path | None = None) -> None:
        self.storage = FileStorage(str(src), output_file=out, run_dir=run_dir)
        self.words = WordNumberFilter(min_words=3, max_words=5)
        self.spaces = RemoveExtraSpacesRefiner()

    def forward(self) -> None:
        self.spaces.run(self.storage.step(), input_key="text")
        self.words.run(self.storage.step(), input_key="text")


def test_dataflows_forward_arguments(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    with pytest.raises(StreamflowError, match="does not restart at a step number"):
        Words(src, out).forward(resume_step=2)
    with pytest.raises(StreamflowError, match="needs a run directory"):
        Words(src, out).forward(resume_from_last=True)
    Words(src, out, tmp_path / "run").forward(batch_size=2)
    again = Words(src, out, tmp_path / "run").forward(resume_from_last=True, batch_size=2)
    assert read_jsonl(out) == KEPT
    assert again.rows_written == 0  # nothing redone


def test_a_step_run_outside_a_pipeline_reports_its_failed_rows(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "fine"}, {"other": 1}])
    storage = FileStorage(str(src), tmp_path / "cache", "s", on_bad_record="skip")
    with pytest.warns(UserWarning, match="1 rows failed"):
        RemoveExtraSpacesRefiner().run(storage.step(), input_key="text")
    assert read_jsonl(storage.step_file(1)) == [{"text": "fine"}]
