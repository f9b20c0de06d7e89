"""Operator synthesis: a small operator class the model writes for a step nothing else can do.

When no operator of the library does a step and a written prompt cannot express it (a
deterministic rule: counting, a pattern, arithmetic, reformatting), the agent asks the model for
one class deriving from :class:`~streamflow.Refiner`, :class:`~streamflow.Generator` or
:class:`~streamflow.Filter`, with a ``process(self, rows, input_..._key=..., output_..._key=...)``
hook. The answer is untrusted code, and is treated as such:

1. :func:`check_operator_code` reads it **without running it** (``ast`` only): it must parse,
   define exactly one class deriving from one allowed base, import only modules of
   :data:`ALLOWED_IMPORTS`, use no name of :data:`FORBIDDEN_NAMES` and no dunder attribute
   (``__globals__``, ``__subclasses__``...), and its hook's keys and constructor defaults must be
   literals. Its :class:`~streamflow.agent.catalog.OperatorCard` is derived from the same tree,
   so the plan's key checks treat it like any operator. The checks are a first filter with
   readable errors for the repair loop, not the security boundary.
2. :func:`operator_trial` is the only place the code ever runs: inside
   :class:`~streamflow.sandbox.Sandbox` (bubblewrap: no network, a private work directory, the
   host read-only, CPU, memory, process and wall-clock limits), on the user's sample rows, through
   :func:`streamflow.testing.apply` (the operator kind's own contract checks). The agent's process
   never imports, ``exec``-s or ``compile``-s it.
3. :func:`unit_problems` judges what the trial did (the hook failed, rows failed, an output field
   missing or empty everywhere, a filter that kept nothing). The class goes into the pipeline
   file only when the trial passed; the pipeline's own trial then runs in the sandbox as well.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

from streamflow.agent.catalog import KeySpec, OperatorCard
from streamflow.agent.verify import trial_sandbox
from streamflow.operators.registry import Param
from streamflow.sandbox import Sandbox

__all__ = [
    "ALLOWED_BASES",
    "ALLOWED_IMPORTS",
    "FORBIDDEN_NAMES",
    "SYNTHESISED",
    "CodeRejected",
    "Synthesised",
    "UnitTrial",
    "check_operator_code",
    "operator_trial",
    "unit_problems",
]

SYNTHESISED = "<written by the agent>"
"""The ``module`` of a synthesised operator's card: its class lives in the pipeline file."""
ALLOWED_BASES = {"Refiner": "refiner", "Generator": "generator", "Filter": "filter"}
"""Base class -> operator kind. One-row-in kinds only: what the sample can test row by row."""
ALLOWED_IMPORTS = frozenset(
    {
        "collections",
        "datetime",
        "difflib",
        "html",
        "itertools",
        "json",
        "math",
        "re",
        "statistics",
        "string",
        "textwrap",
        "unicodedata",
    }
)
"""Standard-library modules of pure computation (no files, processes, network or imports)."""
STREAMFLOW_NAMES = frozenset({*ALLOWED_BASES, "Failure"})
"""What the code may import from ``streamflow`` itself."""
FORBIDDEN_NAMES = frozenset(
    {
        "__builtins__",
        "__import__",
        "breakpoint",
        "compile",
        "delattr",
        "eval",
        "exec",
        "exit",
        "getattr",
        "globals",
        "help",
        "input",
        "locals",
        "memoryview",
        "open",
        "quit",
        "setattr",
        "vars",
    }
)
"""Builtins that reach files, the interpreter's internals or dynamic code."""
MAX_CODE = 6000


class CodeRejected(ValueError):
    """The code failed a static check; the message says which, with the line."""


@dataclass(frozen=True)
class Synthesised:
    """A checked operator class: its source, the imports it needs and its card."""

    name: str
    kind: str
    base: str
    class_source: str
    imports: tuple[str, ...]
    """Import lines the class needs (besides its base), as written in the pipeline file."""
    card: OperatorCard

    def module_source(self) -> str:
        """The class as a module of its own (the sandboxed unit trial imports this)."""
        lines = [*self.imports, f"from streamflow import Failure, {self.base}", "", ""]
        return "\n".join(lines) + self.class_source + "\n"


def check_operator_code(code: str, *, description: str = "") -> Synthesised:
    """Read ``code`` without running it; :class:`CodeRejected` naming the first problem."""
    if len(code) > MAX_CODE:
        raise CodeRejected(f"the code is {len(code)} characters long, at most {MAX_CODE}")
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise CodeRejected(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    if len(classes) != 1:
        raise CodeRejected(f"the code must define exactly one class, it defines {len(classes)}")
    (cls,) = classes
    imports: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            line = _check_import(node)
            if line:
                imports.append(line)
        elif node is not cls and not _is_docstring(node):
            raise CodeRejected(
                f"line {node.lineno}: only imports and the class may be at the top level"
            )
    for inner in ast.walk(cls):
        _check_node(inner)
    bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in cls.bases]
    if len(bases) != 1 or bases[0] not in ALLOWED_BASES or cls.keywords:
        raise CodeRejected(
            f"line {cls.lineno}: class {cls.name} must derive from exactly one of "
            f"{', '.join(ALLOWED_BASES)}, not ({', '.join(bases) or 'nothing'})"
        )
    if cls.decorator_list:
        raise CodeRejected(f"line {cls.lineno}: class {cls.name} may not be decorated")
    kind = ALLOWED_BASES[bases[0]]
    methods = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    process = methods.get("process")
    if process is None:
        raise CodeRejected(f"class {cls.name} has no process(self, rows, ...) method")
    keys = _hook_keys(cls.name, process)
    parameters = _init_parameters(cls.name, methods.get("__init__"))
    doc = ast.get_docstring(cls) or description or f"{cls.name}, written by the agent."
    card = OperatorCard(
        name=cls.name,
        kind=kind,
        domain="agent",
        summary=doc.strip().split("\n\n")[0].replace("\n", " "),
        description=" ".join(doc.split()),
        keys=keys,
        parameters=parameters,
        allowed_prompts=(),
        module=SYNTHESISED,
    )
    source = ast.get_source_segment(code, cls) or ast.unparse(cls)
    return Synthesised(cls.name, kind, bases[0], source, tuple(dict.fromkeys(imports)), card)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _check_import(node: ast.Import | ast.ImportFrom) -> str:
    """The import line to keep ("" for the base classes, imported by the assembler)."""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        names = [a.name for a in node.names]
        if node.level == 0 and module == "streamflow":
            wrong = [n for n in names if n not in STREAMFLOW_NAMES]
            if wrong or any(a.asname for a in node.names):
                allowed = ", ".join(sorted(STREAMFLOW_NAMES))
                raise CodeRejected(
                    f"line {node.lineno}: from streamflow only {allowed} may be imported"
                )
            return ""
        if node.level or module.split(".")[0] not in ALLOWED_IMPORTS or "*" in names:
            raise CodeRejected(f"line {node.lineno}: import from {module or '.'} is not allowed")
        return ast.unparse(node)
    for alias in node.names:
        if alias.name.split(".")[0] not in ALLOWED_IMPORTS:
            raise CodeRejected(
                f"line {node.lineno}: import {alias.name} is not allowed (allowed: "
                f"{', '.join(sorted(ALLOWED_IMPORTS))})"
            )
    return ast.unparse(node)


def _check_node(node: ast.AST) -> None:
    line = getattr(node, "lineno", "?")
    if isinstance(node, ast.Import | ast.ImportFrom):
        raise CodeRejected(f"line {line}: imports belong at the top of the code")
    if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
        raise CodeRejected(f"line {line}: {node.id} is not allowed")
    if isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr != "__init__":
        raise CodeRejected(f"line {line}: the attribute {node.attr} is not allowed")
    if isinstance(node, ast.Global | ast.Nonlocal):
        raise CodeRejected(f"line {line}: global/nonlocal is not allowed")


def _literal(node: ast.expr | None, what: str) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise CodeRejected(f"line {node.lineno}: the default of {what} must be a literal") from None


def _hook_keys(name: str, hook: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[KeySpec, ...]:
    args = hook.args
    if args.vararg or args.kwarg or args.posonlyargs:
        raise CodeRejected(f"line {hook.lineno}: {name}.process takes no *args/**kwargs")
    positional = [a.arg for a in args.args]
    if positional[:2] != ["self", "rows"]:
        raise CodeRejected(f"line {hook.lineno}: {name}.process must start with (self, rows, ...)")
    params = args.args[2:] + args.kwonlyargs
    defaults: list[ast.expr | None] = [None] * (len(args.args) - len(args.defaults))
    defaults += list(args.defaults)
    defaults = defaults[2:] + list(args.kw_defaults)
    keys = []
    for param, default in zip(params, defaults, strict=True):
        key = param.arg
        if not (key.startswith(("input", "output")) and key.endswith(("_key", "_keys"))):
            raise CodeRejected(
                f"line {hook.lineno}: {name}.process parameter {key} must be a field key named "
                "input_..._key or output_..._key"
            )
        value = _literal(default, key)
        if value is not None and not isinstance(value, str):
            raise CodeRejected(f"line {hook.lineno}: the default of {key} must be a field name")
        keys.append(KeySpec(key, default=value, required=default is None))
    if not keys:
        raise CodeRejected(f"line {hook.lineno}: {name}.process reads no field (no input_key)")
    return tuple(keys)


def _init_parameters(
    name: str, init: ast.FunctionDef | ast.AsyncFunctionDef | None
) -> tuple[Param, ...]:
    if init is None:
        return ()
    args = init.args
    if args.vararg or args.kwarg or args.posonlyargs:
        raise CodeRejected(f"line {init.lineno}: {name}.__init__ takes no *args/**kwargs")
    params = args.args[1:] + args.kwonlyargs
    defaults = list(args.defaults) + [d for d in args.kw_defaults]
    if len(defaults) != len(params) or any(d is None for d in defaults):
        raise CodeRejected(f"line {init.lineno}: every {name}.__init__ parameter needs a default")
    return tuple(
        Param(p.arg, repr(_literal(d, p.arg)), "")
        for p, d in zip(params, defaults, strict=True)
        if d is not None
    )


# -- the sandboxed unit trial -----------------------------------------------------------------

UNIT_RUNNER = """
import json, sys, traceback

def emit(**report):
    sys.stdout.write("\\n@@UNIT@@" + json.dumps(report, default=str) + "\\n")
    sys.stdout.flush()

def main():
    spec = json.load(open("unit.json"))
    namespace = {"__name__": "agent_operator"}
    try:
        source = open("agent_operator.py").read()
        exec(compile(source, "agent_operator.py", "exec"), namespace)
        op = namespace[spec["class"]]()
    except BaseException as exc:
        return emit(stage="load", error=f"{type(exc).__name__}: {exc}",
                    trace=traceback.format_exc(limit=3))
    try:
        from streamflow.testing import apply
        outcome = apply(op, spec["rows"], **spec["bindings"])
    except BaseException as exc:
        return emit(stage="run", error=f"{type(exc).__name__}: {exc}",
                    trace=traceback.format_exc(limit=3))
    emit(stage="done", rows=outcome.batch.rows,
         dropped=[d.reason for d in outcome.dropped],
         failed=[reason for _, _, reason in outcome.failed])

main()
"""


@dataclass
class UnitTrial:
    """What the synthesised operator did on the sample, in the sandbox."""

    stage: str
    """``load``/``run``: it raised there; ``done``: it ran; ``sandbox``: a limit stopped it."""
    error: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    output: str = ""
    """What the code printed (stdout before the report, stderr), for the report."""


async def operator_trial(
    synthesised: Synthesised,
    rows: list[dict[str, Any]],
    bindings: dict[str, str],
    *,
    timeout: float = 60.0,
    sandbox: Sandbox | None = None,
) -> UnitTrial:
    """Run the class on ``rows`` with ``bindings`` inside the sandbox (never on the host)."""
    return await run_operator_source(
        synthesised.module_source(),
        synthesised.name,
        rows,
        bindings,
        timeout=timeout,
        sandbox=sandbox,
    )


async def run_operator_source(
    source: str,
    class_name: str,
    rows: list[dict[str, Any]],
    bindings: dict[str, str],
    *,
    timeout: float = 60.0,
    sandbox: Sandbox | None = None,
) -> UnitTrial:
    """:func:`operator_trial` for any module source (checked or not: it runs only sandboxed)."""
    sandbox = sandbox or trial_sandbox(timeout, memory_mib=2048, processes=32, output_mib=2)
    spec = {"class": class_name, "rows": rows, "bindings": bindings}
    result = await sandbox.run(
        UNIT_RUNNER,
        files={"agent_operator.py": source, "unit.json": json.dumps(spec, default=str)},
        timeout=timeout,
        env={"HOME": "/tmp", "STREAMFLOW_NO_PROGRESS": "1"},
    )
    marker = result.stdout.rfind("@@UNIT@@")
    printed = (result.stdout[:marker] if marker >= 0 else result.stdout) + result.stderr
    if marker < 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        return UnitTrial(
            "sandbox", error=f"{result.detail or result.reason}: {tail}", output=printed
        )
    report = json.loads(result.stdout[marker + len("@@UNIT@@") :].strip().splitlines()[0])
    return UnitTrial(
        stage=report["stage"],
        error=report.get("error", ""),
        rows=report.get("rows", []),
        dropped=report.get("dropped", []),
        failed=report.get("failed", []),
        output=printed.strip()[-2000:],
    )


def unit_problems(
    synthesised: Synthesised, trial: UnitTrial, bindings: dict[str, str], rows_in: int
) -> list[str]:
    """What the unit trial shows wrong with the class (empty: it may go into the pipeline)."""
    name = synthesised.name
    if trial.stage != "done":
        return [f"{name} stopped at {trial.stage}: {trial.error}"]
    problems = []
    if trial.failed:
        problems.append(
            f"{name} failed on {len(trial.failed)} of {rows_in} sample rows: {trial.failed[0]}"
        )
    if synthesised.kind == "filter":
        if rows_in and not trial.rows and not trial.failed:
            why = trial.dropped[0] if trial.dropped else ""
            problems.append(f"{name} dropped every sample row" + (f" ({why})" if why else ""))
        return problems
    outputs = [bindings[k.name] for k in synthesised.card.outputs if bindings.get(k.name)]
    for out in outputs:
        values = [row.get(out) for row in trial.rows]
        if any(out not in row for row in trial.rows):
            problems.append(f"{name} did not write the field {out} on every row")
        elif values and all(v in ("", None, [], {}) for v in values):
            problems.append(f"{name} left the field {out} empty on every row")
    return problems
