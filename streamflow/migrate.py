"""``streamflow migrate``: DataFlow pipeline files rewritten to import streamflow.

The rewrite works on the concrete syntax tree (libcst), so comments, blank lines and formatting
survive; only what must change does:

- ``from dataflow.operators.<domain> import X`` and ``from dataflow.prompts... import P`` import
  each name from the streamflow domain that has it (found in the operator library's maps, so a
  name DataFlow keeps in another domain lands where ours is);
- ``dataflow`` itself (``get_logger``), ``dataflow.utils.storage``, ``dataflow.utils.registry``,
  ``dataflow.utils.text2sql.database_manager``, and the packages ``dataflow.serving``,
  ``dataflow.pipeline`` and ``dataflow.core`` with their submodules become the streamflow module
  that keeps DataFlow's names; a name that module lacks is reported;
- a plain pipeline class (a class with ``forward()`` and no base) becomes a ``Pipeline``
  subclass, so the file streams instead of running step by step.

Whatever has no streamflow counterpart (an operator or template we lack, another ``dataflow``
module) is left as it was and reported with its file and line. Needs libcst (the ``migrate``
extra); the command line imports this module only when ``migrate`` runs.
"""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
import libcst.helpers
import libcst.metadata

from streamflow.errors import StreamflowError
from streamflow.operators.registry import domains

__all__ = ["Migration", "Unmapped", "migrate_source", "python_files"]

_MODULES = {
    "dataflow": "streamflow",
    "dataflow.utils.storage": "streamflow.storage",
    "dataflow.utils.registry": "streamflow.utils.registry",
    "dataflow.utils.text2sql.database_manager": "streamflow.databases",
    "dataflow.serving": "streamflow.serving",
    "dataflow.pipeline": "streamflow.pipeline",
    "dataflow.core": "streamflow.core",
}
"""DataFlow modules whose names streamflow keeps in one module of its own."""

_PACKAGES = ("dataflow.serving", "dataflow.pipeline", "dataflow.core")
"""Of those, the packages whose submodules (``dataflow.core.prompt``) fold into the same module."""


def _streamflow_module(module: str) -> str | None:
    """The streamflow module holding the names of DataFlow's ``module``, if one does."""
    if module in _MODULES:
        return _MODULES[module]
    package = next((p for p in _PACKAGES if module.startswith(p + ".")), None)
    return _MODULES[package] if package else None


@functools.cache
def _has(module: str, name: str) -> bool:
    return hasattr(importlib.import_module(module), name)


@dataclass(frozen=True, slots=True)
class Unmapped:
    """Something the rewrite could not map, where it is."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


@dataclass(slots=True)
class Migration:
    """One file's rewrite: its new text and what stayed unmapped."""

    path: str
    before: str
    after: str
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{self.path}",
                f"b/{self.path}",
            )
        )


def library_homes() -> dict[str, str]:
    """Operator and prompt-template name -> the streamflow domain package that exports it."""
    homes: dict[str, str] = {}
    for domain in domains():
        for name in (*domain.operators, *domain.prompts):
            homes.setdefault(name, domain.package)
    return homes


def python_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The ``.py`` files of ``paths`` (files, or folders searched recursively), sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise StreamflowError(f"{path}: no such file or folder")


def migrate_source(source: str, path: str, homes: dict[str, str] | None = None) -> Migration:
    """Rewrite one file's text; ``homes`` from :func:`library_homes` (computed when None)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise StreamflowError(
            f"{path}: not valid Python: {exc.message} (line {exc.raw_line})"
        ) from None
    rewriter = _Rewriter(path, homes if homes is not None else library_homes())
    after = cst.MetadataWrapper(module).visit(rewriter)
    if rewriter.made_pipeline and not rewriter.imports_pipeline:
        after = _with_pipeline_import(after)
    return Migration(path, source, after.code, rewriter.unmapped)


class _Rewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, path: str, homes: dict[str, str]) -> None:
        super().__init__()
        self.path = path
        self.homes = homes
        self.unmapped: list[Unmapped] = []
        self.made_pipeline = False
        self.imports_pipeline = False

    def _report(self, node: cst.CSTNode, what: str) -> None:
        line = self.get_metadata(cst.metadata.PositionProvider, node).start.line
        self.unmapped.append(Unmapped(self.path, line, what))

    def leave_Import(
        self, original: cst.Import, updated: cst.Import
    ) -> cst.Import | cst.RemovalSentinel:
        for alias in original.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            if name == "dataflow" or name.startswith("dataflow."):
                self._report(original, f"`import {name}`: import the names you use instead")
        return updated

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        if original.module is None or original.relative:
            return updated
        module = cst.helpers.get_full_name_for_node(original.module) or ""
        if module == "streamflow":
            names = [] if isinstance(original.names, cst.ImportStar) else original.names
            if any(cst.helpers.get_full_name_for_node(a.name) == "Pipeline" for a in names):
                self.imports_pipeline = True
        if module != "dataflow" and not module.startswith("dataflow."):
            return updated
        if isinstance(original.names, cst.ImportStar):
            self._report(original, f"`from {module} import *`: name what you import")
            return updated
        if module.startswith("dataflow.operators"):
            return self._by_name(original, module, "operator", self.homes.get)
        if module.startswith("dataflow.prompts"):
            return self._by_name(original, module, "template", self.homes.get)
        target = _streamflow_module(module)
        if target is not None:
            return self._by_name(
                original, module, "name", lambda name: target if _has(target, name) else None
            )
        self._report(original, f"{module}: streamflow has no counterpart")
        return updated

    def _by_name(
        self,
        original: cst.ImportFrom,
        module: str,
        kind: str,
        home_of: Callable[[str], str | None],
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        """One import per streamflow home of the names; unknown names stay as they were."""
        assert not isinstance(original.names, cst.ImportStar)
        grouped: dict[str, list[cst.ImportAlias]] = {}
        for alias in original.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            home = home_of(name)
            if home is None:
                self._report(original, f"{kind} {name} ({module}): streamflow lacks it")
                home = module
            grouped.setdefault(home, []).append(alias)
        parenthesized = original.lpar is not None
        statements = [
            original.with_changes(
                module=_dotted(home),
                # a trailing comma is allowed inside parentheses only
                names=aliases
                if parenthesized
                else [*aliases[:-1], aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)],
            )
            for home, aliases in grouped.items()
        ]
        if len(statements) == 1:
            return statements[0]
        return cst.FlattenSentinel(statements)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        """An import split into several (names with different homes): a line each."""
        if len(original.body) != 1 or len(updated.body) == 1:
            return updated
        return cst.FlattenSentinel(
            [
                updated.with_changes(body=[statement], leading_lines=updated.leading_lines)
                if i == 0
                else updated.with_changes(body=[statement], leading_lines=[])
                for i, statement in enumerate(updated.body)
            ]
        )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if original.bases or not _defines(original, "forward"):
            return updated
        self.made_pipeline = True
        return updated.with_changes(
            bases=[cst.Arg(cst.Name("Pipeline"))],
            lpar=cst.LeftParen(),
            rpar=cst.RightParen(),
        )


def _dotted(name: str) -> cst.Name | cst.Attribute:
    parts = name.split(".")
    node: cst.Name | cst.Attribute = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(node, cst.Name(part))
    return node


def _defines(cls: cst.ClassDef, method: str) -> bool:
    return any(
        isinstance(item, cst.FunctionDef) and item.name.value == method for item in cls.body.body
    )


def _with_pipeline_import(module: cst.Module) -> cst.Module:
    """``from streamflow import Pipeline`` after the module's last top-level import."""
    statement = cst.parse_statement("from streamflow import Pipeline\n")
    body = list(module.body)
    last_import = max(
        (
            i
            for i, stmt in enumerate(body)
            if isinstance(stmt, cst.SimpleStatementLine)
            and any(isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body)
        ),
        default=-1,
    )
    body.insert(last_import + 1, statement)
    return module.with_changes(body=body)
