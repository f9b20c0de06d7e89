"""The scaffold's templates render into code that parses and lints, with every placeholder
replaced; every operator kind has its template class."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from streamflow import OperatorKind
from streamflow.scaffold import (
    EXTENSION_PLACEHOLDERS,
    KIND_BASES,
    add_operator,
    add_pipeline,
    add_prompt,
    create_extension,
)
from streamflow.scaffold.render import ADDED_PACKAGE, ADDITIONS, extension_files, render

PLACEHOLDERS = (*EXTENSION_PLACEHOLDERS, ADDED_PACKAGE, "NewGenerator", "NewPrompt", "NewPipeline")


def test_render_replaces_in_one_pass_longest_first() -> None:
    names = {"extension_package": "pkg", "ExtensionPackage": "Pkg", "Pkg": "never"}
    text = "from extension_package.x import ExtensionPackageThing  # extension_package_out"
    assert render(text, names) == "from pkg.x import PkgThing  # pkg_out"


def test_every_kind_has_a_template_class() -> None:
    tree = ast.parse((ADDITIONS / ADDED_PACKAGE / "operators.py").read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for kind in OperatorKind:
        cls = classes["New" + KIND_BASES[kind]]
        assert [ast.unparse(b) for b in cls.bases] == [KIND_BASES[kind]]
    assert len(classes) == len(OperatorKind)


def test_the_extension_template_is_a_package_with_its_tests() -> None:
    files = dict(extension_files())
    assert {"pyproject.toml", "README.md", "extension_package/__init__.py"} <= set(files)
    assert {p for p in files if p.startswith("tests/")} == {
        "tests/test_operators.py",
        "tests/test_pipelines.py",
        "tests/test_prompts.py",
    }
    assert "from streamflow import OPERATORS" in files["tests/test_operators.py"]


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    """A scaffolded extension with one addition of every sort."""
    ext = create_extension("my-ext", tmp_path)
    for kind in OperatorKind:
        add_operator("My" + KIND_BASES[kind], kind, ext.root)
    add_prompt("QuestionPrompt", ext.root)
    add_pipeline("CleanPipeline", ext.root)
    return ext.root


def test_rendered_code_parses_and_keeps_no_placeholder(rendered: Path) -> None:
    texts = {p: p.read_text() for p in rendered.rglob("*") if p.is_file()}
    assert len([p for p in texts if p.suffix == ".py"]) == 4 + 3 + len(OperatorKind) + 2
    for path, text in texts.items():
        for placeholder in PLACEHOLDERS:
            assert placeholder not in text, (path, placeholder)
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))


def test_rendered_code_lints_as_the_extension_project(rendered: Path) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed beside this Python")
    # Long lines depend on the names chosen; everything else must hold for any name.
    config = ["--isolated", "--line-length", "100", "--select", "E,F,W,I,B,UP", "--ignore", "E501"]
    result = subprocess.run(
        [ruff, "check", *config, "--config", "lint.isort.known-third-party=['streamflow']", "."],
        cwd=rendered,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
