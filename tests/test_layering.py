"""Imports point down: every module's static imports, walked with ast, against the layer order.

The order (the design's, refined): cli -> pipeline/agent -> executors ->
actors/channels -> store/io/serving -> rows/errors. A unit (a package, or a module standing on
its own) may import itself and any unit in a lower layer; never a unit above it, nor a sibling
in its own layer (siblings are independent: the store knows no file formats, io no run store).
No modules import each other, not even lazily.

What the walk allows besides, each entry named with its reason, must still be needed: an entry
whose import is gone fails the test, so the lists only shrink.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "streamflow"

SKIPPED = ("streamflow/scaffold/templates/",)
"""Another project's code: the extension package ``streamflow init`` writes, rendered from
these files (it imports streamflow's facade, as an extension does)."""

LAYERS: list[tuple[str, ...]] = [
    # the facade re-exports the public API of everything below it
    ("streamflow", "streamflow.__main__"),
    # DataFlow's import paths (dataflow.utils.storage, dataflow.core), re-exporting ours
    ("streamflow.utils", "streamflow.core"),
    # the command line
    ("streamflow.cli",),
    # what the command line drives besides running: scaffolding, finding pipelines, display
    (
        "streamflow.scaffold",
        "streamflow.loader",
        "streamflow.display",
        "streamflow.environment",
        "streamflow.migrate",
    ),
    # the shipped pipelines (the zoo), the agent, test helpers, the old runtime module (an alias)
    ("streamflow.pipelines", "streamflow.agent", "streamflow.testing", "streamflow.runtime"),
    # the user's entry: compile, then hand the plan to an executor
    ("streamflow.pipeline",),
    # the service session and DataFlow's FileStorage, both used by Pipeline
    ("streamflow.session", "streamflow.storage"),
    # how a plan runs: the executor seam, the local executor, the run-directory protocol
    ("streamflow.executors",),
    # finding the operator library and its prompt templates by name
    ("streamflow.actors.registry", "streamflow.prompts.registry"),
    # the operator library
    ("streamflow.operators",),
    # compile(): a traced forward() as a checked, fingerprinted plan
    ("streamflow.plan",),
    # the operator kinds and the actor that runs a stage
    ("streamflow.actors",),
    # what moves between actors
    ("streamflow.channels",),
    # the LMDB run store, files and formats, LLM serving, prompt templates, the databases the
    # SQL operators query, the sandbox that runs generated code
    (
        "streamflow.store",
        "streamflow.io",
        "streamflow.serving",
        "streamflow.prompts",
        "streamflow.databases",
        "streamflow.sandbox",
    ),
    # small services of their own (extras: optional dependencies, imported on use)
    ("streamflow.models", "streamflow.entrypoints", "streamflow.interrupts", "streamflow.extras"),
    # the vocabulary everything shares
    ("streamflow.rows", "streamflow.errors"),
]

COMPATIBILITY_ALIASES: dict[tuple[str, str], str] = {
    # (importing module, imported module): why. Each import is inside a function (a module
    # __getattr__), so it runs only when an old name is used.
    ("streamflow.store.sources", "streamflow.io"): "moved to io/ (issue 10)",
    ("streamflow.store.sinks", "streamflow.io"): "moved to io/ (issue 10)",
    ("streamflow.store.warc", "streamflow.io"): "moved to io/ (issue 10)",
    ("streamflow.store.compression", "streamflow.io"): "moved to io/ (issue 10)",
    ("streamflow.store.storage", "streamflow.storage"): "FileStorage moved up (issue 10)",
    ("streamflow.store.rundir", "streamflow.plan"): "plan fingerprints moved to plan.py",
    ("streamflow.actors.endpoints", "streamflow.executors"): "moved to executors/ (issue 10)",
}

LIBRARY_DISCOVERY: dict[tuple[str, str], str] = {
    # Lazy imports, inside functions, of the library from the registries that find it.
    ("streamflow.actors.registry", "streamflow.operators"): "an alias of operators.registry",
    ("streamflow.prompts.registry", "streamflow.operators"): "an alias of operators.registry",
}

PENDING: dict[tuple[str, str], str] = {
    # (unit, unit): module-level imports against the order that a known change removes.
    # Delete the entry when it lands.
}


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    """The importing module."""
    target: str
    """The imported streamflow module (or package)."""
    line: int
    lazy: bool
    """Inside a function: runs only when it is called."""
    typing_only: bool
    """Under ``if TYPE_CHECKING:``: never runs."""


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if relative.startswith(SKIPPED):
            continue
        parts = relative.removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            child_lazy = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            child_typing = typing_only or (
                isinstance(child, ast.If) and ast.unparse(child.test).endswith("TYPE_CHECKING")
            )
            for target in _targets(child, module, is_package, known):
                found.append(Import(module, target, child.lineno, lazy, typing_only))
            visit(child, child_lazy, child_typing)

    visit(tree, False, False)
    return found


def _targets(node: ast.AST, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            anchor = parts if is_package else parts[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        # ``from package import module`` imports the module; ``from module import name`` the
        # module itself
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    else:
        return []
    return [n for n in names if n == "streamflow" or n.startswith("streamflow.")]


UNITS = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str:
    """The unit a module belongs to: the longest unit name that is it or a package above it."""
    candidates = [u for u in UNITS if module == u or module.startswith(u + ".")]
    if not candidates:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return max(candidates, key=len)


@pytest.fixture(scope="module")
def all_imports() -> list[Import]:
    found = modules()
    return [i for module, path in found.items() for i in imports_of(module, path, set(found))]


def test_every_module_has_a_layer() -> None:
    for module in modules():
        unit_of(module)


def test_imports_point_down(all_imports: list[Import]) -> None:
    problems = []
    for imp in all_imports:
        src, dst = unit_of(imp.module), unit_of(imp.target)
        if src == dst or UNITS[dst] > UNITS[src]:
            continue
        if imp.lazy and _allowed_lazily(imp):
            continue
        if (src, dst) in PENDING:
            continue
        where = "a sibling in its own layer" if UNITS[dst] == UNITS[src] else "a layer above"
        problems.append(f"{imp.module}:{imp.line} imports {imp.target} ({dst}: {where})")
    assert not problems, "upward or sideways imports:\n" + "\n".join(dict.fromkeys(problems))


def test_no_import_cycle(all_imports: list[Import]) -> None:
    """No modules import each other, even lazily (only type checking may look back)."""
    graph: dict[str, set[str]] = {}
    for imp in all_imports:
        pending = (unit_of(imp.module), unit_of(imp.target)) in PENDING
        allowed = imp.lazy and _allowed_lazily(imp)
        if imp.typing_only or imp.target == imp.module or pending or allowed:
            continue
        graph.setdefault(imp.module, set()).add(imp.target)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_allowance_is_still_needed(all_imports: list[Import]) -> None:
    lazy = {(i.module, i.target) for i in all_imports if i.lazy}
    for module, target in [*COMPATIBILITY_ALIASES, *LIBRARY_DISCOVERY]:
        assert any(m == module and _within(t, target) for m, t in lazy), (
            f"{module} no longer imports {target} lazily: remove its allowance"
        )
    units = {(unit_of(i.module), unit_of(i.target)) for i in all_imports}
    for pair in PENDING:
        assert pair in units, f"{pair[0]} no longer imports {pair[1]}: remove it from PENDING"


def test_the_store_knows_no_plans_operators_channels_or_file_formats(
    all_imports: list[Import],
) -> None:
    """The layering says so already; named here because it is what issue 10 set out to fix."""
    for imp in all_imports:
        if unit_of(imp.module) == "streamflow.store" and not imp.lazy:
            assert unit_of(imp.target) in (
                "streamflow.store",
                "streamflow.errors",
                "streamflow.rows",
            )


def _allowed_lazily(imp: Import) -> bool:
    return any(
        imp.module == module and _within(imp.target, target)
        for module, target in [*COMPATIBILITY_ALIASES, *LIBRARY_DISCOVERY]
    )


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found
