"""``streamflow run`` passes on the run options it was given, and without flags the defaults
of :class:`~streamflow.executors.RunOptions` itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from helpers import read_jsonl, write_jsonl
from typer.testing import CliRunner

from streamflow import Pipeline, RunOptions
from streamflow.cli import app

PIPELINE = """
from streamflow import FileStorage, Generator, Pipeline

class Same(Generator):
    def process(self, rows):
        return rows

class Demo(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.same = Same()

    def forward(self):
        self.same.run(self.storage.step())
"""


@pytest.fixture
def seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The run options the CLI hands to the pipeline (captured, and checked by RunOptions)."""
    (tmp_path / "demo.py").write_text(PIPELINE)
    write_jsonl(tmp_path / "in.jsonl", [{"text": "a"}])
    monkeypatch.chdir(tmp_path)
    captured: dict[str, Any] = {}
    original = Pipeline.run

    def run(self: Pipeline, **kwargs: Any) -> Any:
        fields = {f.name for f in dataclasses.fields(RunOptions)}
        captured.update({k: v for k, v in kwargs.items() if k in fields})
        return original(self, **kwargs)

    monkeypatch.setattr(Pipeline, "run", run)
    return captured


def test_without_flags_the_run_options_are_run_options_defaults(seen: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["run", "demo.py", "--no-progress"])
    assert result.exit_code == 0, result.output
    # the command line also applies the failure limit at the end to small runs (issue 9)
    assert RunOptions(**seen) == RunOptions(failure_limit_at_end=True)
    assert set(seen) >= {"batch_size", "capacity", "ordered", "max_failed_fraction"}


def test_flags_override_them(seen: dict[str, Any]) -> None:
    args = ["--batch-size", "7", "--capacity", "3", "--unordered", "--checkpoint-interval", "9"]
    result = CliRunner().invoke(app, ["run", "demo.py", "--no-progress", *args])
    assert result.exit_code == 0, result.output
    assert RunOptions(**seen) == RunOptions(
        batch_size=7,
        capacity=3,
        ordered=False,
        checkpoint_interval=9.0,
        failure_limit_at_end=True,
    )


def test_an_unknown_executor_or_an_address_without_ray_is_a_usage_error(seen) -> None:
    result = CliRunner().invoke(app, ["run", "demo.py", "--no-progress", "--executor", "dask"])
    assert result.exit_code == 2 and "unknown executor 'dask'" in result.output
    result = CliRunner().invoke(app, ["run", "demo.py", "--no-progress", "--address", "auto"])
    assert result.exit_code == 2 and "--executor ray" in result.output
    assert not seen  # nothing ran


CUT_OFF = """
from streamflow import FileStorage, Pipeline
from streamflow.operators.core_text import PromptedGenerator, PromptedRefiner
from streamflow.testing import ScriptedServing

LLM = ScriptedServing(lambda prompt: "a long answer", cut_off=lambda text: "long" in text)

class Demo(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.steps = [PromptedGenerator(LLM), PromptedRefiner(LLM)]

    def forward(self):
        self.steps[0].run(self.storage.step(), input_key="text", output_key="answer")
        self.steps[1].run(self.storage.step(), input_key="answer")
"""


def test_accept_truncated_keeps_cut_off_answers_of_every_llm_step(tmp_path, monkeypatch) -> None:
    (tmp_path / "demo.py").write_text(CUT_OFF)
    write_jsonl(tmp_path / "in.jsonl", [{"text": "a"}, {"text": "b"}])
    monkeypatch.chdir(tmp_path)
    strict = CliRunner().invoke(app, ["run", "demo.py", "--no-progress"])
    assert strict.exit_code == 1 and "cut off at max_tokens" in strict.output
    kept = CliRunner().invoke(app, ["run", "demo.py", "--no-progress", "--accept-truncated"])
    assert kept.exit_code == 0, kept.output
    assert [r["answer"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["a long answer"] * 2
    for step in ("PromptedGenerator", "PromptedRefiner"):
        assert f"{step}: kept 2 answers cut off at max_tokens" in kept.output
