"""``streamflow migrate`` on DataFlow-shaped pipeline files written for these tests: the diff,
--write, what it cannot map, and the migrated files running (as scripts and through a serving
alias against a loopback server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_server import FaultServer
from helpers import read_jsonl, run_python, run_streamflow, write_jsonl

from streamflow.loader import load_pipeline_class

CPU_PIPELINE = '''\
from dataflow.operators.general_text import (
    RemoveExtraSpacesRefiner,  # DataFlow's refiner
    WordNumberFilter,
)
from dataflow.utils.storage import FileStorage


class TextFilter_CPUPipeline():
    """Keeps rows of three to five words."""

    def __init__(self):
        self.storage = FileStorage("input.jsonl", "./cache", "dataflow_cache_step", "jsonl")
        self.spaces = RemoveExtraSpacesRefiner()
        self.words = WordNumberFilter(min_words=3, max_words=5)

    def forward(self):
        self.spaces.run(storage=self.storage.step(), input_key="text")
        self.words.run(storage=self.storage.step(), input_key="text")


if __name__ == "__main__":
    pipeline = TextFilter_CPUPipeline()
    pipeline.forward()
'''

API_PIPELINE = """\
import os

from dataflow.core import LLMServingABC
from dataflow.operators.core_text import PromptedGenerator
from dataflow.serving import APILLMServing_request
from dataflow.utils.storage import FileStorage


class Summaries():
    def __init__(self, llm_serving: LLMServingABC = None):
        self.storage = FileStorage(
            first_entry_file_name=os.environ["INPUT"],
            cache_path=os.environ["CACHE"],
            file_name_prefix="step",
            cache_type="json",
        )
        self.llm_serving = llm_serving or APILLMServing_request(
            api_url=os.environ["API_URL"] + "/chat/completions",
            model_name="fault-model",
            max_workers=4,
        )
        self.generate = PromptedGenerator(llm_serving=self.llm_serving, system_prompt="Sum up.")

    def forward(self):
        self.generate.run(storage=self.storage.step(), input_key="text", output_key="summary")
"""

ROWS = [{"text": "one  two   three"}, {"text": "just two"}, {"text": " four   words are   here "}]
# DataFlow's WordNumberFilter writes the word count under its label column.
KEPT = [
    {"text": "one two three", "word_number_filter_label": 3},
    {"text": "four words are here", "word_number_filter_label": 4},
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "text_filter.py").write_text(CPU_PIPELINE)
    write_jsonl(tmp_path / "input.jsonl", ROWS)
    return tmp_path


def test_migrate_prints_a_diff_and_changes_nothing(project: Path) -> None:
    done = run_streamflow("migrate", "pipelines", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "-from dataflow.utils.storage import FileStorage" in done.stdout
    assert "+from streamflow.storage import FileStorage" in done.stdout
    assert "+class TextFilter_CPUPipeline(Pipeline):" in done.stdout
    assert (project / "pipelines" / "text_filter.py").read_text() == CPU_PIPELINE


def test_migrated_file_keeps_its_comments_and_streams_as_a_script(project: Path) -> None:
    assert run_streamflow("migrate", "--write", "pipelines", cwd=project).returncode == 0
    migrated = (project / "pipelines" / "text_filter.py").read_text()
    assert "RemoveExtraSpacesRefiner,  # DataFlow's refiner" in migrated
    assert '"""Keeps rows of three to five words."""' in migrated
    assert "dataflow" not in migrated.replace("dataflow_cache_step", "")
    done = run_python("pipelines/text_filter.py", cwd=project)
    assert done.returncode == 0, done.stderr
    assert read_jsonl(project / "cache" / "dataflow_cache_step_output.jsonl") == KEPT
    assert not list((project / "cache").glob("*_step1.*"))  # one streaming run, no step files


def test_sed_alone_gets_the_file_running_step_by_step(project: Path) -> None:
    script = project / "pipelines" / "text_filter.py"
    script.write_text(CPU_PIPELINE.replace("dataflow.", "streamflow."))
    done = run_python(str(script), cwd=project)
    assert done.returncode == 0, done.stderr
    assert read_jsonl(project / "cache" / "dataflow_cache_step_step2.jsonl") == KEPT


def test_what_streamflow_lacks_is_listed_with_file_and_line(project: Path) -> None:
    odd = project / "pipelines" / "odd.py"
    odd.write_text(
        "from dataflow.operators.general_text import WordNumberFilter, NoSuchOperator\n"
        "from dataflow.wrapper import AutoOP\n"
    )
    done = run_streamflow("migrate", str(odd), cwd=project)
    assert done.returncode == 1
    assert f"{odd}:1: operator NoSuchOperator" in done.stderr
    assert f"{odd}:2: dataflow.wrapper: streamflow has no counterpart" in done.stderr
    assert "+from streamflow.operators.general_text import WordNumberFilter" in done.stdout


async def test_a_migrated_api_pipeline_runs_against_an_openai_compatible_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "summaries.py"
    source.write_text(API_PIPELINE)
    assert run_streamflow("migrate", "--write", str(source), cwd=tmp_path).returncode == 0
    write_jsonl(tmp_path / "in.jsonl", ROWS)
    async with FaultServer() as server:
        monkeypatch.setenv("API_URL", server.base_url)
        monkeypatch.setenv("INPUT", str(tmp_path / "in.jsonl"))
        monkeypatch.setenv("CACHE", str(tmp_path / "cache"))
        pipeline = load_pipeline_class(str(source))()
        result = await pipeline.arun()
    assert result.rows_written == 3
    written = (tmp_path / "cache" / "step_output.json").read_text()
    assert written.startswith("[")  # cache_type="json": a JSON array
    assert {r["summary"] for r in read_jsonl_array(written)} == {
        f"answer: {r['text']}" for r in ROWS
    }


def read_jsonl_array(text: str) -> list[dict]:
    import json

    return json.loads(text)


CUSTOM_OPERATOR = """\
from dataflow import get_logger
from dataflow.core import OperatorABC, WrapperABC
from dataflow.core.prompt import DIYPromptABC, prompt_restrict
from dataflow.pipeline.Pipeline import PipelineABC
from dataflow.utils.text2sql.database_manager import DatabaseManager
"""


def test_dataflow_modules_map_to_the_module_holding_their_names() -> None:
    from streamflow.migrate import migrate_source

    done = migrate_source(CUSTOM_OPERATOR, "custom.py")
    assert done.after.splitlines() == [
        "from streamflow import get_logger",
        "from streamflow.core import OperatorABC",
        "from dataflow.core import WrapperABC",
        "from streamflow.core import DIYPromptABC, prompt_restrict",
        "from streamflow.pipeline import PipelineABC",
        "from streamflow.databases import DatabaseManager",
    ]
    assert [str(u) for u in done.unmapped] == [
        "custom.py:2: name WrapperABC (dataflow.core): streamflow lacks it"
    ]
    exec(compile(done.after.replace("from dataflow.core import WrapperABC\n", ""), "m", "exec"))
