"""The scaffold's templates: real files under ``templates/``, rendered by replacing placeholders.

``templates/extension/`` is a whole extension package, its package named ``extension_package``
(distribution ``extension-package``, class names prefixed ``ExtensionPackage``).
``templates/additions/`` holds what ``streamflow init operator|prompt|pipeline`` adds to one:
in ``added_package/`` one class per kind of addition (``NewGenerator``, ..., ``NewPrompt``,
``NewPipeline``), in ``tests/`` their tests. Every placeholder is a Python identifier, so the
templates are ordinary code that ruff and mypy check and the tests render.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
EXTENSION = TEMPLATES / "extension"
ADDITIONS = TEMPLATES / "additions"
ADDED_PACKAGE = "added_package"


def render(text: str, names: Mapping[str, str]) -> str:
    """``text`` with every placeholder (a key of ``names``) replaced by its value, in one pass."""
    if not names:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda match: names[match.group(0)], text)


def extension_files() -> Iterator[tuple[str, str]]:
    """Each file of the extension template: its path (with placeholders) and its text."""
    for path in sorted(EXTENSION.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(EXTENSION).as_posix(), path.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Addition:
    """A class to append to one of an extension's modules, and the test that goes with it."""

    code: str
    """The class's source, renamed."""
    imports: list[tuple[str, str]]
    """``(module, name)`` of each import the class uses."""
    test: str
    """The text of its test file."""


def addition(module: str, placeholder: str, test: str, names: Mapping[str, str]) -> Addition:
    """The class ``placeholder`` of ``added_package/{module}.py`` and the test file ``test``,
    rendered with ``names`` (which say what ``placeholder`` and ``added_package`` become)."""
    source = (ADDITIONS / ADDED_PACKAGE / f"{module}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == placeholder)
    code = ast.get_source_segment(source, cls)
    assert code is not None
    used = {node.id for node in ast.walk(cls) if isinstance(node, ast.Name)}
    imports = [
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
        if (alias.asname or alias.name) in used
    ]
    test_text = (ADDITIONS / "tests" / test).read_text(encoding="utf-8")
    return Addition(render(code, names), imports, render(test_text, names))
