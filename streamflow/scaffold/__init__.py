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
from typing import Any

from streamflow.actors.base import KIND_CLASSES, OperatorKind
from streamflow.errors import StreamflowError
from streamflow.scaffold.render import (
    ADDED_PACKAGE,
    EXTENSION,
    Addition,
    addition,
    extension_files,
    render,
)

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

EXTENSION_PLACEHOLDERS = ("extension-package", "extension_package", "ExtensionPackage")
"""In ``templates/extension/``: the distribution, the import package, the class-name prefix."""
SAMPLE_ROWS: tuple[dict[str, Any], ...] = tuple(
    json.loads(line)
    for line in (EXTENSION / "extension_package" / "data" / "sample.jsonl").read_text().splitlines()
)
"""The sample the scaffolded pipeline reads (``extension_package/data/sample.jsonl``)."""


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
    dist_ph, package_ph, prefix_ph = EXTENSION_PLACEHOLDERS
    names = {dist_ph: name, package_ph: package, prefix_ph: camel(package)}
    for relative, text in extension_files():
        _write(root / render(relative, names), render(text, names))
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


def add_operator(
    name: str, kind: str = OperatorKind.GENERATOR, directory: Path | str = "."
) -> list[Path]:
    """Add operator class ``name`` of ``kind`` to the extension in ``directory``."""
    if kind not in KIND_BASES:
        raise ScaffoldError(f"unknown operator kind {kind!r}; one of: {', '.join(KIND_BASES)}")
    check_class_name(name)
    from streamflow.operators.registry import OPERATORS  # the operator library, loaded on use

    if OPERATORS.is_builtin(name):
        raise ScaffoldError(f"{name!r} is a built-in streamflow operator; choose another name")
    ext = open_extension(directory)
    placeholder = "New" + KIND_BASES[kind]
    test_placeholder = "NewGenerator"  # its test, rendered for any kind, serves every kind
    names = {
        ADDED_PACKAGE: ext.package,
        placeholder: name,
        snake(placeholder): snake(name),
        test_placeholder: name,
        snake(test_placeholder): snake(name),
    }
    return _add(
        ext,
        "operators",
        OPERATOR_GROUP,
        name,
        addition("operators", placeholder, "test_new_generator.py", names),
    )


def add_prompt(name: str, directory: Path | str = ".") -> list[Path]:
    """Add prompt template class ``name`` to the extension in ``directory``."""
    check_class_name(name)
    ext = open_extension(directory)
    names = {ADDED_PACKAGE: ext.package, "NewPrompt": name, "new_prompt": snake(name)}
    return _add(
        ext,
        "prompts",
        PROMPT_GROUP,
        name,
        addition("prompts", "NewPrompt", "test_new_prompt.py", names),
    )


def add_pipeline(name: str, directory: Path | str = ".") -> list[Path]:
    """Add pipeline class ``name`` to the extension in ``directory``."""
    check_class_name(name)
    ext = open_extension(directory)
    names = {ADDED_PACKAGE: ext.package, "NewPipeline": name, "new_pipeline": snake(name)}
    return _add(
        ext,
        "pipelines",
        PIPELINE_GROUP,
        name,
        addition("pipelines", "NewPipeline", "test_new_pipeline.py", names),
    )


def _add(ext: Extension, module_name: str, group: str, name: str, new: Addition) -> list[Path]:
    """Append ``new``'s class to the module, declare it in ``group``, write its test; check
    everything first, so an error leaves the package as it was."""
    module = ext.root / ext.package / f"{module_name}.py"
    source = module.read_text(encoding="utf-8") if module.is_file() else ""
    tree = _parse(module, source)
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    if name in defined:
        raise ScaffoldError(f"{module} already defines {name}")
    test_file = ext.root / "tests" / f"test_{snake(name)}.py"
    if test_file.exists():
        raise ScaffoldError(f"{test_file} already exists")
    target = f"{ext.package}.{module_name}:{name}"
    pyproject_text = add_entry_point(ext.pyproject.read_text(encoding="utf-8"), group, name, target)

    source = _ensure_imports(source, tree, new.imports)
    module.write_text(source.rstrip("\n") + "\n\n\n" + new.code + "\n", encoding="utf-8")
    ext.pyproject.write_text(pyproject_text, encoding="utf-8")
    _write(test_file, new.test)
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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
