"""``streamflow init``: a scaffolded extension installs, passes its tests, shows its operator and
runs its pipeline; ``init operator|prompt|pipeline`` add a class, its entry point and a failing
test; bad names and existing directories are refused."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamflow import Operator
from streamflow.actors.base import KINDS
from streamflow.cli import app
from streamflow.pipeline import Pipeline
from streamflow.prompts.base import DIYPromptABC
from streamflow.scaffold import (
    KIND_BASES,
    ScaffoldError,
    add_entry_point,
    add_operator,
    add_pipeline,
    add_prompt,
    create_extension,
    open_extension,
)


def sh(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd)


def make_venv(where: Path) -> Path:
    """A venv that sees this one's packages (streamflow, setuptools, pip, pytest) through a .pth
    that adds our site-packages as a site directory, so nothing comes from the network."""
    sh(sys.executable, "-m", "venv", "--without-pip", where).check_returncode()
    python = where / "bin" / "python"
    new_site = sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    ours = sysconfig.get_paths()["purelib"]
    Path(new_site.stdout.strip(), "_streamflow_main.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n"
    )
    return python


def pytest_counts(result: subprocess.CompletedProcess[str]) -> tuple[set[str], str]:
    failed = {
        line.split()[1].split("::")[0].rsplit("/", 1)[-1]
        for line in result.stdout.splitlines()
        if line.startswith("FAILED ")
    }
    return failed, result.stdout.strip().splitlines()[-1]


def test_scaffolded_extension_installs_tests_lists_and_runs(tmp_path):
    python = make_venv(tmp_path / "venv")
    ext = create_extension("my-ext", tmp_path)
    assert ext.root == tmp_path / "my-ext" and ext.package == "my_ext"

    install = sh(
        python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-e", ext.root
    )
    assert install.returncode == 0, install.stdout + install.stderr

    tests = sh(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", ext.root / "tests")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "7 passed" in tests.stdout

    listed = sh(python, "-m", "streamflow", "ops", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["MyExtWordCounter"]["extension"] == "my-ext"
    shown = sh(python, "-m", "streamflow", "ops", "show", "MyExtWordCounter")
    assert shown.returncode == 0 and "generator" in shown.stdout
    assert "extension my-ext" in shown.stdout
    shown = sh(python, "-m", "streamflow", "ops", "show", "MyExtSummarizer")
    assert shown.returncode == 0 and "MyExtSummaryPrompt" in shown.stdout, shown.stderr

    ran = sh(
        python, "-m", "streamflow", "run", "my_ext/pipelines.py", "--no-progress", cwd=ext.root
    )
    assert ran.returncode == 0, ran.stderr
    output = [json.loads(line) for line in (ext.root / "my_ext_output.jsonl").open()]
    assert [(r["id"], r["word_count"]) for r in output] == [("1", 6), ("2", 6), ("3", 4), ("4", 2)]

    by_name = sh(
        python, "-m", "streamflow", "run", "MyExtPipeline", "--output", tmp_path / "by_name.jsonl",
        "--no-progress",
    )  # fmt: skip
    assert by_name.returncode == 0, by_name.stderr
    assert (tmp_path / "by_name.jsonl").read_text() == (
        ext.root / "my_ext_output.jsonl"
    ).read_text()
    prompts = sh(python, "-m", "streamflow", "prompts", "list", "--json")
    assert prompts.returncode == 0, prompts.stderr
    declared = {r["name"]: r["extension"] for r in map(json.loads, prompts.stdout.splitlines())}
    assert declared["MyExtSummaryPrompt"] == "my-ext"

    # init operator: the new stub's test fails, and only it
    added = sh(
        python, "-m", "streamflow", "init", "operator", "SentenceSplitter",
        "--kind", "row_generator", "--package", ext.root,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    tests = sh(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", ext.root / "tests")
    failed, summary = pytest_counts(tests)
    assert tests.returncode == 1 and failed == {"test_sentence_splitter.py"}, tests.stdout
    assert "1 failed, 7 passed" in summary
    assert "implement SentenceSplitter and replace this test" in tests.stdout

    # The class is live at once (editable install), but entry points are installed metadata:
    # streamflow sees the new operator only after `pip install -e .` again.
    def names() -> set[str]:
        out = sh(python, "-m", "streamflow", "ops", "list", "--json").stdout
        return {json.loads(line)["name"] for line in out.splitlines()}

    assert "SentenceSplitter" not in names()
    reinstall = sh(
        python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-e", ext.root
    )
    assert reinstall.returncode == 0, reinstall.stderr
    assert {"SentenceSplitter", "MyExtWordCounter"} <= names()
    shown = sh(python, "-m", "streamflow", "ops", "show", "SentenceSplitter")
    assert shown.returncode == 0 and "row_generator" in shown.stdout, shown.stderr


def test_cli_refuses_an_existing_directory_and_bad_names(tmp_path):
    runner = CliRunner()
    made = runner.invoke(app, ["init", "extension", "good-ext", str(tmp_path)])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "good-ext" / "good_ext" / "operators.py").is_file()

    again = runner.invoke(app, ["init", "extension", "good-ext", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output
    for bad in ("-leading", "has space", "trailing.", "3d-ext", "class", "streamflow", ""):
        refused = runner.invoke(app, ["init", "extension", bad, str(tmp_path)])
        assert refused.exit_code == 2, (bad, refused.output)
        assert not (tmp_path / bad).exists() or bad == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good-ext"]

    package = ["--package", str(tmp_path / "good-ext")]
    for args, message in (
        (["operator", "lower_case", *package], "not a valid class name"),
        (["operator", "LowercaseRefiner", *package], "built-in streamflow operator"),
        (["operator", "GoodExtWordCounter", *package], "already"),
        (["operator", "Fine", "--package", str(tmp_path)], "no pyproject.toml"),
        (["prompt", "GoodExtSummaryPrompt", *package], "already"),
        (["pipeline", "GoodExtPipeline", *package], "already"),
    ):
        result = runner.invoke(app, ["init", *args])
        assert result.exit_code == 2 and message in " ".join(result.output.split()), (
            args,
            result.output,
        )
    unknown_kind = runner.invoke(app, ["init", "operator", "X", "--kind", "mapper", *package])
    assert unknown_kind.exit_code == 2


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def ext(tmp_path, monkeypatch):
    ext = create_extension("kinds-ext", tmp_path)
    monkeypatch.syspath_prepend(str(ext.root))
    yield ext
    for name in [m for m in sys.modules if m.startswith("kinds_ext")]:
        del sys.modules[name]


def test_every_kind_scaffolds_a_working_operator_and_its_entry_point(ext):
    for kind in KIND_BASES:
        name = "Op" + kind.title().replace("_", "")
        paths = add_operator(name, kind, ext.root)
        assert paths[-1] == ext.root / "tests" / f"test_op_{kind}.py"
        assert 'pytest.fail("implement' in paths[-1].read_text()
    module = load(ext.root / "kinds_ext" / "operators.py", "kinds_ext_ops_check")
    declared = tomllib.loads(ext.pyproject.read_text())["project"]["entry-points"]
    operators = declared["streamflow.operators"]
    rows = [{"text": "  one\ntwo  "}, {"text": ""}]
    for kind, base in KIND_BASES.items():
        name = "Op" + kind.title().replace("_", "")
        assert operators[name] == f"kinds_ext.operators:{name}"
        op_class = getattr(module, name)
        assert issubclass(op_class, Operator) and op_class.kind == kind
        assert next(k for k in KINDS if k.kind == kind).__name__ == base
        op = op_class()
        result = op.hook(rows)  # the skeleton already runs, with its default keys
        if kind == "dataset_evaluator":
            assert op.report() == {"rows": 2}
        else:
            assert len(op.check_results(rows, result)) == 2
    assert set(declared["streamflow.prompts"]) == {"KindsExtSummaryPrompt"}


def test_prompt_and_pipeline_are_added_with_their_imports(ext, tmp_path):
    add_prompt("QuestionPrompt", ext.root)
    add_pipeline("CleanPipeline", ext.root)
    declared = tomllib.loads(ext.pyproject.read_text())["project"]["entry-points"]
    assert declared["streamflow.prompts"]["QuestionPrompt"] == "kinds_ext.prompts:QuestionPrompt"
    assert declared["streamflow.pipelines"]["CleanPipeline"] == (
        "kinds_ext.pipelines:CleanPipeline"
    )
    prompts = load(ext.root / "kinds_ext" / "prompts.py", "kinds_ext_prompts_check")
    assert issubclass(prompts.QuestionPrompt, DIYPromptABC)
    assert "hello" in prompts.QuestionPrompt().build_prompt(text="hello")
    pipelines = load(ext.root / "kinds_ext" / "pipelines.py", "kinds_ext_pipelines_check")
    assert issubclass(pipelines.CleanPipeline, Pipeline)
    out = tmp_path / "clean.jsonl"
    assert pipelines.CleanPipeline().run(output=out).rows_written == 4
    assert (
        "from streamflow import FileStorage, Pipeline\n"
        in (ext.root / "kinds_ext" / "pipelines.py").read_text()
    )
    assert open_extension(ext.root).package == "kinds_ext"


def test_entry_point_is_added_to_its_table_keeping_the_rest():
    text = (
        "# my extension\n[project]\nname = 'x'  # the name\n\n"
        '[project.entry-points."streamflow.operators"]\nA = "x.operators:A"\n\n\n'
        "[tool.other]\nkey = 1\n"
    )
    updated = add_entry_point(text, "streamflow.operators", "B", "x.operators:B")
    assert updated.startswith("# my extension\n") and "# the name" in updated
    assert 'A = "x.operators:A"\nB = "x.operators:B"\n\n\n[tool.other]' in updated
    data = tomllib.loads(updated)
    assert data["project"]["entry-points"]["streamflow.operators"] == {
        "A": "x.operators:A",
        "B": "x.operators:B",
    }
    assert data["tool"]["other"] == {"key": 1}

    added = add_entry_point(text, "streamflow.prompts", "P", "x.prompts:P")
    assert tomllib.loads(added)["project"]["entry-points"]["streamflow.prompts"] == {
        "P": "x.prompts:P"
    }
    with pytest.raises(ScaffoldError, match="already declares 'A'"):
        add_entry_point(text, "streamflow.operators", "A", "x.operators:A")
    inline = "[project]\nname = 'x'\nentry-points = {}\n"
    with pytest.raises(ScaffoldError):
        add_entry_point(inline, "streamflow.operators", "B", "x.operators:B")
