"""``streamflow init``: scaffolding for extension packages.

:func:`create_extension` writes a pip-installable package whose operator, prompt template and
pipeline are declared in the entry-point groups ``streamflow.operators``, ``streamflow.prompts``
and ``streamflow.pipelines``, with tests that pass straight away. :func:`add_operator`,
:func:`add_prompt` and :func:`add_pipeline` add one more class to such a package: the class, its
entry point in ``pyproject.toml`` and a test that fails until the class is implemented.

Every function checks before it writes, so an error leaves the package as it was.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from streamflow.actors.base import KIND_CLASSES
from streamflow.errors import StreamflowError

OPERATOR_GROUP = "streamflow.operators"
PROMPT_GROUP = "streamflow.prompts"
PIPELINE_GROUP = "streamflow.pipelines"

# PEP 508 project names; the import package is the name lower-cased with - and . as _.
_DIST_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_RESERVED_PACKAGES = frozenset({"streamflow", "tests", "test"})

KIND_BASES = {str(kind): cls.__name__ for kind, cls in KIND_CLASSES.items()}
"""Each operator kind's base class name, which a scaffolded operator subclasses."""


class ScaffoldError(StreamflowError):
    """``streamflow init`` was asked for something it cannot create: nothing was written."""


def import_name(dist_name: str) -> str:
    """The import package of a distribution name: ``my-ext`` -> ``my_ext``."""
    return re.sub(r"[-_.]+", "_", dist_name).lower()


def camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_") if part)


def snake(camel_name: str) -> str:
    """``WordCountGenerator`` -> ``word_count_generator`` (``HTMLText`` -> ``html_text``)."""
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", camel_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


def check_dist_name(name: str) -> str:
    """The import package for ``name``, or ScaffoldError saying why ``name`` cannot be used."""
    if not _DIST_NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid distribution name: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (e.g. my-ext)"
        )
    package = import_name(name)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise ScaffoldError(
            f"{name!r} gives the import package {package!r}, which is not a Python identifier; "
            "start the name with a letter (e.g. my-ext)"
        )
    if package in _RESERVED_PACKAGES:
        raise ScaffoldError(f"{name!r} would shadow the package {package!r}; choose another name")
    return package


def check_class_name(name: str) -> None:
    if not _CLASS_NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} is not a valid class name: use CamelCase letters and digits, starting "
            "with a capital letter (e.g. SentenceSplitter)"
        )


# -- the extension package -----------------------------------------------------------------

_PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "streamflow extension: operators, prompt templates and pipelines"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["streamflow"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points."streamflow.operators"]
$operator = "$package.operators:$operator"
$summarizer = "$package.operators:$summarizer"

[project.entry-points."streamflow.prompts"]
$prompt = "$package.prompts:$prompt"

[project.entry-points."streamflow.pipelines"]
$pipeline = "$package.pipelines:$pipeline"

[tool.setuptools.packages.find]
include = ["$package*"]

[tool.setuptools.package-data]
"$package" = ["data/*.jsonl"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""")

_INIT = Template('''\
"""$dist: a streamflow extension.

Its operators, prompt templates and pipelines are declared in pyproject.toml's entry points, so
``streamflow ops list`` shows the operators once the package is installed.
"""

__version__ = "0.1.0"
''')

_OPERATORS = Template('''\
"""Operators of $dist; each is declared in pyproject.toml under "streamflow.operators"."""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow import Generator
from streamflow.operators.general.llm import ask_each, default_serving
from streamflow.rows import Failure
from streamflow.serving.base import LLMServing

from $package.prompts import $prompt


class $operator(Generator):
    """Adds the number of whitespace-separated words of a text field.

    An example without an LLM: one new field per row.
    """

    def process(
        self, rows: list[dict[str, Any]], input_key: str = "text", output_key: str = "word_count"
    ) -> list[dict[str, Any]]:
        return [{**row, output_key: len(str(row[input_key]).split())} for row in rows]


class $summarizer(Generator):
    """Adds a one-sentence summary of a text field, asked of an LLM with $prompt.

    Without ``llm_serving`` it uses streamflow's embedded default model. A request that fails
    for good fails its row alone: the row goes to the dead letters with the reason.
    """

    expensive: ClassVar[bool] = True  # answers are kept in the run store: a resume reuses them
    ALLOWED_PROMPTS = ($prompt,)

    def __init__(
        self, llm_serving: LLMServing | None = None, prompt_template: $prompt | None = None
    ) -> None:
        self.llm_serving = llm_serving if llm_serving is not None else default_serving()
        self.prompt_template = prompt_template or $prompt()

    async def process(
        self, rows: list[dict[str, Any]], input_key: str = "text", output_key: str = "summary"
    ) -> list[dict[str, Any] | Failure]:
        prompts = [self.prompt_template.build_prompt(text=str(row[input_key])) for row in rows]
        answers = await ask_each(self.llm_serving, prompts)
        return [
            answer if isinstance(answer, Failure) else {**row, output_key: str(answer).strip()}
            for row, answer in zip(rows, answers, strict=True)
        ]
''')

_PROMPTS = Template('''\
"""Prompt templates of $dist; each is declared in pyproject.toml under "streamflow.prompts"."""

from __future__ import annotations

from streamflow.prompts.base import DIYPromptABC


class $prompt(DIYPromptABC):
    """Asks for a one-sentence summary of a text.

    A DIY template: every LLM operator accepts it. The parameters of ``build_prompt`` are the
    row fields it needs.
    """

    def build_prompt(self, text: str) -> str:
        return f"Summarize the following text in one sentence.\\n\\nText:\\n{text}\\n\\nSummary:"
''')

_PIPELINES = Template('''\
"""Pipelines of $dist; each is declared in pyproject.toml under "streamflow.pipelines".

Run one by its entry-point name once installed (``streamflow run $pipeline``) or by file
(``streamflow run $package/pipelines.py:$pipeline``); ``--input``/``--output`` point it elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from streamflow import FileStorage, Pipeline

from $package.operators import $operator

DATA = Path(__file__).parent / "data"


class $pipeline(Pipeline):
    """Counts the words of each text of the sample shipped with the package."""

    def __init__(self) -> None:
        self.storage = FileStorage(
            str(DATA / "sample.jsonl"),
            output_file="${package}_output.jsonl",
        )
        self.count = $operator()

    def forward(self) -> None:
        self.count.run(self.storage.step(), input_key="text", output_key="word_count")


if __name__ == "__main__":
    $pipeline().run()
''')

SAMPLE_ROWS: tuple[dict[str, Any], ...] = (
    {"id": "1", "text": "Streams of rows flow through operators."},
    {"id": "2", "text": "Each operator is an async actor."},
    {"id": "3", "text": "Bounded channels apply backpressure."},
    {"id": "4", "text": "Hello world"},
)

_TEST_OPERATORS = Template("""\
from streamflow.actors.registry import OPERATORS
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply

from $package.operators import $operator, $summarizer


def test_counts_words():
    rows = [{"text": "one two three"}, {"text": ""}]
    out = $operator().process(rows, input_key="text", output_key="n")
    assert [row["n"] for row in out] == [3, 0]
    assert out[0]["text"] == "one two three"


def test_summarizes_with_its_prompt_template():
    llm = ScriptedServing(lambda prompt: " Rivers move water. ")
    outcome = apply($summarizer(llm), [{"text": "Rivers flow to the sea."}])
    text = "Rivers flow to the sea."
    assert outcome.batch.rows == [{"text": text, "summary": "Rivers move water."}]
    assert "Rivers flow to the sea." in llm.prompts[0]


def test_a_failed_request_fails_its_row_only():
    def answer(prompt):
        if "bad" in prompt:
            raise LLMRequestError("context too long")
        return "ok"

    outcome = apply($summarizer(ScriptedServing(answer)), [{"text": "good"}, {"text": "bad"}])
    assert [row["text"] for row in outcome.batch.rows] == ["good"]
    assert [reason for _, _, reason in outcome.failed] == ["context too long"]


def test_are_declared_as_extension_operators():
    for op in ($operator, $summarizer):
        assert OPERATORS.get(op.__name__) is op
        assert OPERATORS.info(op.__name__).extension == "$dist"
""")

_TEST_PROMPTS = Template("""\
import pytest
from streamflow.prompts.base import PromptFieldError

from $package.prompts import $prompt


def test_builds_a_prompt_from_the_text_field():
    prompt = $prompt()
    assert prompt.fields == ("text",)
    assert "Rivers flow." in prompt.build_prompt(text="Rivers flow.")


def test_a_missing_field_is_named():
    with pytest.raises(PromptFieldError, match="$prompt"):
        $prompt().build_prompt(title="no text")
""")

_TEST_PIPELINES = Template("""\
import json

from $package.pipelines import $pipeline


def test_counts_the_words_of_the_sample(tmp_path):
    output = tmp_path / "out.jsonl"
    result = $pipeline().run(output=output)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert result.rows_written == len(rows) == $n_rows
    assert [row["word_count"] for row in rows] == $counts
""")

_README = Template("""\
# $dist

A [streamflow](https://pypi.org/project/streamflow/) extension.

```bash
pip install -e .            # streamflow finds the entry points of pyproject.toml
streamflow ops list         # lists $operator (extension $dist)
streamflow run $package/pipelines.py:$pipeline   # writes ${package}_output.jsonl
streamflow run $pipeline    # the same, by its entry-point name
streamflow prompts list     # lists $prompt
pytest
```

- `$package/operators.py`: `$operator`, a Generator that adds a word count, and `$summarizer`,
  an LLM Generator that asks for a summary with `$prompt` (the embedded model by default; its
  tests use `streamflow.testing.ScriptedServing`, a fake LLM).
- `$package/prompts.py`: `$prompt`, its prompt template.
- `$package/pipelines.py`: `$pipeline`, which runs `$operator` on `$package/data/sample.jsonl`.

Add more with `streamflow init operator NAME --kind refiner`, `streamflow init prompt NAME` and
`streamflow init pipeline NAME`: each adds the class, its entry point and a test that fails until
you implement it. Entry points are package metadata: run `pip install -e .` again after adding
one, so that streamflow sees it.
""")


@dataclass(frozen=True, slots=True)
class Extension:
    """A scaffolded extension package on disk."""

    root: Path
    dist: str
    package: str

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"


def create_extension(name: str, parent: Path | str = ".") -> Extension:
    """Write the extension package ``name`` into ``parent/name``; return where it is."""
    package = check_dist_name(name)
    root = Path(parent) / name
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another name or directory")
    prefix = camel(package)
    names = {
        "dist": name,
        "package": package,
        "operator": f"{prefix}WordCounter",
        "summarizer": f"{prefix}Summarizer",
        "prompt": f"{prefix}SummaryPrompt",
        "pipeline": f"{prefix}Pipeline",
        "n_rows": str(len(SAMPLE_ROWS)),
        "counts": repr([len(str(row["text"]).split()) for row in SAMPLE_ROWS]),
    }
    sample = "".join(_json_line(row) for row in SAMPLE_ROWS)
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{package}/__init__.py": _INIT,
        f"{package}/operators.py": _OPERATORS,
        f"{package}/prompts.py": _PROMPTS,
        f"{package}/pipelines.py": _PIPELINES,
        "tests/test_operators.py": _TEST_OPERATORS,
        "tests/test_prompts.py": _TEST_PROMPTS,
        "tests/test_pipelines.py": _TEST_PIPELINES,
    }
    for relative, template in files.items():
        _write(root / relative, template.substitute(names))
    _write(root / package / "data" / "sample.jsonl", sample)
    return Extension(root, name, package)


def open_extension(directory: Path | str = ".") -> Extension:
    """The scaffolded extension in ``directory``, or ScaffoldError saying what is missing."""
    root = Path(directory)
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise ScaffoldError(
            f"{root} has no pyproject.toml; run this in an extension package made by "
            "`streamflow init extension NAME`, or pass --package DIR"
        )
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"{pyproject} is not valid TOML: {exc}") from exc
    dist = data.get("project", {}).get("name")
    if not isinstance(dist, str):
        raise ScaffoldError(f"{pyproject} has no [project] name")
    package = import_name(dist)
    if not (root / package / "__init__.py").is_file():
        raise ScaffoldError(f"{root} has no package {package}/ (from the project name {dist!r})")
    return Extension(root, dist, package)


# -- adding to an extension ----------------------------------------------------------------

_OPERATOR_BODIES = {
    "generator": """\
    def process(
        self,
        rows: list[dict[str, Any]],
        input_key: str = "text",
        output_key: str = "$field",
    ) -> list[dict[str, Any]]:
        return [{**row, output_key: row[input_key]} for row in rows]
""",
    "row_generator": """\
    def process(
        self, rows: list[dict[str, Any]], input_key: str = "text"
    ) -> list[list[dict[str, Any]]]:
        return [
            [{**row, input_key: line} for line in str(row[input_key]).splitlines() if line]
            for row in rows
        ]
""",
    "refiner": """\
    def process(self, rows: list[dict[str, Any]], input_key: str = "text") -> list[dict[str, Any]]:
        return [{**row, input_key: str(row[input_key]).strip()} for row in rows]
""",
    "filter": """\
    def process(
        self, rows: list[dict[str, Any]], input_key: str = "text"
    ) -> list[bool | tuple[bool, str]]:
        return [(bool(str(row[input_key]).strip()), "empty text") for row in rows]
""",
    "sample_evaluator": """\
    def process(
        self,
        rows: list[dict[str, Any]],
        input_key: str = "text",
        output_key: str = "$field",
    ) -> list[dict[str, Any]]:
        return [{**row, output_key: float(len(str(row[input_key])))} for row in rows]
""",
    "dataset_evaluator": """\
    def __init__(self) -> None:
        self.rows = 0

    def observe(self, rows: list[dict[str, Any]], input_key: str = "text") -> None:
        self.rows += len(rows)

    def report(self) -> dict[str, Any]:
        return {"rows": self.rows}
""",
}

_OPERATOR_CALLS = {
    "generator": '$name().process(rows, input_key="text", output_key="$field")',
    "row_generator": '$name().process(rows, input_key="text")',
    "refiner": '$name().process(rows, input_key="text")',
    "filter": '$name().process(rows, input_key="text")',
    "sample_evaluator": '$name().process(rows, input_key="text", output_key="$field")',
    "dataset_evaluator": '$name().observe(rows, input_key="text")',
}

_NEW_OPERATOR = Template('''\


class $name($base):
    """What $name does: this first paragraph is its summary in `streamflow ops list`."""

''')

_NEW_OPERATOR_TEST = Template("""\
import pytest

from $package.operators import $name


def test_$snake():
    rows = [{"text": "first line\\nsecond line"}]
    result = $call
    assert result is None or len(result) == len(rows)
    pytest.fail("implement $name and replace this test")
""")

_NEW_PROMPT = Template('''\


class $name(DIYPromptABC):
    """What $name asks; the parameters of build_prompt are the row fields it needs."""

    def build_prompt(self, text: str) -> str:
        return f"Answer about this text:\\n{text}"
''')

_NEW_PROMPT_TEST = Template("""\
import pytest

from $package.prompts import $name


def test_$snake():
    prompt = $name()
    assert "some text" in prompt.build_prompt(text="some text")
    pytest.fail("implement $name and replace this test")
""")

_NEW_PIPELINE = Template('''\


class $name(Pipeline):
    """What $name does; run it with `streamflow run $package/pipelines.py:$name`."""

    def __init__(self) -> None:
        self.storage = FileStorage(
            str(Path(__file__).parent / "data" / "sample.jsonl"),
            output_file="${snake}_output.jsonl",
        )
        self.spaces = RemoveExtraSpacesRefiner()

    def forward(self) -> None:
        self.spaces.run(self.storage.step(), input_key="text")
''')

_NEW_PIPELINE_TEST = Template("""\
import json

import pytest

from $package.pipelines import $name


def test_$snake(tmp_path):
    output = tmp_path / "out.jsonl"
    $name().run(output=output)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert rows
    pytest.fail("implement $name and replace this test")
""")


def add_operator(name: str, kind: str = "generator", directory: Path | str = ".") -> list[Path]:
    """Add operator class ``name`` of ``kind`` to the extension in ``directory``."""
    if kind not in KIND_BASES:
        raise ScaffoldError(f"unknown operator kind {kind!r}; one of: {', '.join(KIND_BASES)}")
    check_class_name(name)
    from streamflow.actors.registry import OPERATORS

    if OPERATORS.is_builtin(name):
        raise ScaffoldError(f"{name!r} is a built-in streamflow operator; choose another name")
    ext = open_extension(directory)
    base = KIND_BASES[kind]
    names = {
        "name": name,
        "base": base,
        "package": ext.package,
        "snake": snake(name),
        "field": snake(name),
    }
    body = Template(_OPERATOR_BODIES[kind]).substitute(names)
    call = Template(_OPERATOR_CALLS[kind]).substitute(names)
    code = _NEW_OPERATOR.substitute(names) + body
    return _add(
        ext,
        "operators.py",
        OPERATOR_GROUP,
        name,
        code,
        [("streamflow", base), ("typing", "Any")],
        _NEW_OPERATOR_TEST.substitute(names, call=call),
    )


def add_prompt(name: str, directory: Path | str = ".") -> list[Path]:
    """Add prompt template class ``name`` to the extension in ``directory``."""
    check_class_name(name)
    ext = open_extension(directory)
    names = {"name": name, "package": ext.package, "snake": snake(name)}
    return _add(
        ext,
        "prompts.py",
        PROMPT_GROUP,
        name,
        _NEW_PROMPT.substitute(names),
        [("streamflow.prompts.base", "DIYPromptABC")],
        _NEW_PROMPT_TEST.substitute(names),
    )


def add_pipeline(name: str, directory: Path | str = ".") -> list[Path]:
    """Add pipeline class ``name`` to the extension in ``directory``."""
    check_class_name(name)
    ext = open_extension(directory)
    names = {"name": name, "package": ext.package, "snake": snake(name)}
    return _add(
        ext,
        "pipelines.py",
        PIPELINE_GROUP,
        name,
        _NEW_PIPELINE.substitute(names),
        [
            ("pathlib", "Path"),
            ("streamflow", "FileStorage"),
            ("streamflow", "Pipeline"),
            ("streamflow.operators.text.refiners", "RemoveExtraSpacesRefiner"),
        ],
        _NEW_PIPELINE_TEST.substitute(names),
    )


def _add(
    ext: Extension,
    module_file: str,
    group: str,
    name: str,
    code: str,
    imports: list[tuple[str, str]],
    test: str,
) -> list[Path]:
    """Append ``code`` to the module, declare it in ``group``, write its test; check first."""
    module = ext.root / ext.package / module_file
    source = module.read_text(encoding="utf-8") if module.is_file() else ""
    tree = _parse(module, source)
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    if name in defined:
        raise ScaffoldError(f"{module} already defines {name}")
    test_file = ext.root / "tests" / f"test_{snake(name)}.py"
    if test_file.exists():
        raise ScaffoldError(f"{test_file} already exists")
    target = f"{ext.package}.{module_file.removesuffix('.py')}:{name}"
    pyproject_text = add_entry_point(ext.pyproject.read_text(encoding="utf-8"), group, name, target)

    source = _ensure_imports(source, tree, imports)
    module.write_text(source.rstrip("\n") + "\n" + code, encoding="utf-8")
    ext.pyproject.write_text(pyproject_text, encoding="utf-8")
    _write(test_file, test)
    return [module, ext.pyproject, test_file]


def add_entry_point(pyproject: str, group: str, name: str, target: str) -> str:
    """``pyproject`` with ``name = "target"`` added to ``[project.entry-points."group"]``.

    The text is edited, not re-serialised, so comments and layout stay; the result is parsed
    again and must differ from the original by exactly that entry.
    """
    try:
        before = tomllib.loads(pyproject)
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"pyproject.toml is not valid TOML: {exc}") from exc
    tables = before.get("project", {}).get("entry-points", {})
    if name in tables.get(group, {}):
        raise ScaffoldError(f"pyproject.toml already declares {name!r} in {group!r}")
    entry = f'{name} = "{target}"'
    lines = pyproject.splitlines()
    header = re.compile(r"^\s*\[\s*project\s*\.\s*entry-points\s*\.\s*[\"']" + re.escape(group))
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        text = pyproject.rstrip("\n") + f'\n\n[project.entry-points."{group}"]\n{entry}\n'
    else:
        end = start + 1
        while end < len(lines) and not lines[end].lstrip().startswith("["):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1  # after the table's last entry, before the blank lines that end it
        lines.insert(end, entry)
        text = "\n".join(lines) + "\n"
    try:
        after = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"adding {entry!r} would break pyproject.toml: {exc}") from exc
    expected = tomllib.loads(pyproject)
    expected.setdefault("project", {}).setdefault("entry-points", {}).setdefault(group, {})
    expected["project"]["entry-points"][group][name] = target
    if after != expected:
        raise ScaffoldError(
            f'could not add {entry!r} to pyproject.toml\'s [project.entry-points."{group}"] '
            "table safely (is it declared in an unusual form?); add it by hand"
        )
    return text


def _parse(path: Path, source: str) -> ast.Module:
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise ScaffoldError(f"{path} does not parse: {exc}") from exc


def _ensure_imports(source: str, tree: ast.Module, imports: list[tuple[str, str]]) -> str:
    """``source`` importing every ``(module, name)`` of ``imports``: a name is added to a one-line
    ``from module import ...`` already there, or a new import goes after the last import."""
    lines = source.splitlines()
    one_line: dict[str, ast.ImportFrom] = {}
    have: set[tuple[str | None, str]] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            have.update((node.module, alias.asname or alias.name) for alias in node.names)
            plain = all(alias.asname is None and alias.name != "*" for alias in node.names)
            if node.module and node.level == 0 and node.lineno == node.end_lineno and plain:
                one_line[node.module] = node
    extra: list[str] = []
    for module, name in imports:
        if (module, name) in have:
            continue
        have.add((module, name))
        existing = one_line.get(module)
        if existing is None:
            extra.append(f"from {module} import {name}")
            continue
        names = sorted({*(alias.name for alias in existing.names), name})
        existing.names = [ast.alias(n) for n in names]
        lines[existing.lineno - 1] = f"from {module} import {', '.join(names)}"
    for line in extra:
        top = line.split()[1].split(".")[0]
        same = [
            n.end_lineno or n.lineno
            for n in tree.body
            if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == top
        ]
        last = max(same) if same else _last_import(tree)
        lines.insert(last, line)
        tree = ast.parse("\n".join(lines))
    return "\n".join(lines) + "\n"


def _last_import(tree: ast.Module) -> int:
    return max(
        (n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)),
        default=_docstring_end(tree),
    )


def _docstring_end(tree: ast.Module) -> int:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return first.end_lineno or first.lineno
    return 0


def _json_line(row: dict[str, Any]) -> str:
    return json.dumps(row) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
