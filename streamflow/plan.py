"""compile(): a traced ``forward()`` becomes a checked plan before any row moves.

Tracing records each ``op.run(storage.step(), **keys)`` call. The plan binds every call's keys
against its operator's hook, works out which fields each step reads and writes, builds the DAG
those bindings imply, and reports every mistake at once in a :class:`CompileError`. Each step
also has a fingerprint of its configuration and of everything upstream of it, which is what a
run directory keys stored results by.

A whole-dataset step (``Operator.whole_dataset``: a DataFlow DataFrame operator) may rewrite
any field and make or drop rows without saying which: every later step depends on it, it may
write fields that exist already, a later step may read a field it made without naming it, and
compile() warns that it holds its whole input in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamflow.actors.base import REQUIRED, Operator, OperatorKind, accepts_any_key
from streamflow.errors import CompileError, PromptTemplateError
from streamflow.rows import fingerprint

SOURCE = -1
"""``depends_on`` entry meaning: the field comes from the source."""
_CHANGES_ROWS = frozenset(
    {OperatorKind.FILTER, OperatorKind.ROW_GENERATOR, OperatorKind.DATASET_EVALUATOR}
)
"""Kinds after which the rows (not only their fields) differ: a later step depends on them."""


@dataclass(frozen=True, slots=True)
class Call:
    """One ``op.run(...)`` recorded while tracing ``forward()``."""

    op: Operator
    keys: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    label: str
    op: Operator
    keys: dict[str, Any]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    depends_on: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    source_fields: tuple[str, ...] | None
    warnings: tuple[str, ...]

    def servings(self) -> list[Any]:
        """The LLM servings the plan's operators use (``op.llm_serving``), each once."""
        found = (getattr(s.op, "llm_serving", None) for s in self.steps)
        return list({id(s): s for s in found if s is not None}.values())

    def fingerprints(self) -> list[str]:
        """Per step, a fingerprint of its configuration and of everything upstream of it
        (see :func:`step_fingerprints`): what a run directory keys stored results by."""
        return step_fingerprints(self)

    def describe(self) -> str:
        lines = []
        for s in self.steps:
            deps = ", ".join("source" if d == SOURCE else self.steps[d].label for d in s.depends_on)
            lines.append(
                f"{s.index + 1}. {s.label} [{s.op.kind}] reads {list(s.reads)} "
                f"writes {list(s.writes)} after {deps or 'nothing'}"
            )
        return "\n".join(lines)


# -- fingerprints ----------------------------------------------------------------------------


def step_fingerprints(plan: Plan) -> list[str]:
    """Each step's configuration, keys and the fingerprints of the steps it depends on.

    Like a build system: change a step and its fingerprint changes, and so does every step
    downstream of it in the DAG, which invalidates their stored results.
    """
    fps: list[str] = []
    for step in plan.steps:
        upstream = ",".join("source" if d == SOURCE else fps[d] for d in step.depends_on)
        text = f"{describe_operator(step.op)}|{stable_repr(step.keys)}|{upstream}"
        fps.append(fingerprint(text, 16))
    return fps


def describe_operator(op: Operator) -> str:
    """The operator's class and configuration, the same in every process."""
    cls = type(op)
    return f"{cls.__module__}.{cls.__qualname__}({stable_repr(op.config)})"


def stable_repr(value: Any, depth: int = 0) -> str:
    """A repr that is the same in every process: no memory addresses, sorted mappings."""
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return repr(value)
    if isinstance(value, Path):
        return repr(str(value))
    if isinstance(value, list | tuple | set | frozenset):
        items = [stable_repr(v, depth + 1) for v in value]
        return "[" + ",".join(sorted(items) if isinstance(value, set | frozenset) else items) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{k!r}:{stable_repr(v, depth + 1)}" for k, v in sorted(value.items()))
            + "}"
        )
    fp = getattr(value, "fingerprint", None)
    if callable(fp):
        return str(fp())
    if isinstance(value, Operator):
        return describe_operator(value)
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if depth < 3 and hasattr(value, "__dict__"):
        public = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return f"{name}{stable_repr(public, depth + 1)}"
    return name


# -- compiling -------------------------------------------------------------------------------


def compile_plan(
    calls: Sequence[Call], source_fields: Iterable[str] | None, *, sampled: str | None = None
) -> Plan:
    """Check the traced calls and build the plan; raise one CompileError listing every problem.

    ``sampled`` says which rows ``source_fields`` were read from, for the error naming a field
    the source does not have (``"the first 1000 rows of in.jsonl"``).
    """
    problems: list[str] = []
    warnings: list[str] = []
    known = None if source_fields is None else tuple(source_fields)
    producer: dict[str, int] = dict.fromkeys(known or (), SOURCE)
    last_row_changer = SOURCE
    last_row_maker = SOURCE
    last_whole_dataset: int | None = None
    labels = _labels([c.op for c in calls])
    steps: list[Step] = []
    if not calls:
        problems.append("forward() ran no operator: call op.run(self.storage.step(), ...)")

    for index, (call, label) in enumerate(zip(calls, labels, strict=True)):
        op = call.op
        where = f"step {index + 1} ({label})"
        if not op.has_hook():
            problems.append(f"{where}: {op.name} does not define {op.hook_name}(rows, **keys)")
            continue
        keys, overwrite = _bind(op, call.keys, where, problems)
        reads, writes = _fields(op, keys)
        optional = {keys[name] for name in op.optional_inputs if isinstance(keys.get(name), str)}
        _check_prompt(op, where, problems)

        changes_rows = op.kind in _CHANGES_ROWS
        deps = {last_row_changer} if changes_rows and last_row_changer != SOURCE else set()
        if last_row_maker != SOURCE:
            deps.add(last_row_maker)  # its rows' ids and contents are what this step sees
        for field in reads:
            if field in producer:
                deps.add(producer[field])
            elif last_whole_dataset is not None:
                deps.add(last_whole_dataset)  # it may have made the field without naming it
            elif known is not None and field not in optional:
                available = ", ".join(sorted(producer)) or "none"
                read_from = f" (the source's fields are those of {sampled})" if sampled else ""
                problems.append(
                    f"{where}: input key {field!r} is not produced by the source or an earlier "
                    f"step; available: {available}{read_from}"
                )
        for field in writes:
            if field not in producer:
                continue
            origin = "the source" if producer[field] == SOURCE else labels[producer[field]]
            if op.whole_dataset:
                continue  # a DataFrame operator may rewrite any column: that is what it does
            if op.kind in (OperatorKind.REFINER, OperatorKind.FILTER):
                if field not in reads and not overwrite:  # overwrite=True: meant, no warning
                    warnings.append(
                        f"{where}: writes {field!r}, overwriting the field from {origin}"
                    )
            elif not overwrite:
                problems.append(
                    f"{where}: output key {field!r} would overwrite the field from {origin}; "
                    "choose another output key or pass overwrite=True to run()"
                )
        for field in writes:
            producer[field] = index
        if op.removes_fields:
            for field in reads:
                producer.pop(field, None)
        if op.kind in (OperatorKind.FILTER, OperatorKind.ROW_GENERATOR):
            last_row_changer = index
        if op.kind == OperatorKind.ROW_GENERATOR:
            last_row_maker = index
        if op.whole_dataset:
            last_row_changer = last_row_maker = last_whole_dataset = index
            warnings.append(
                f"{where}: {op.name} runs once over the whole dataset: it holds every row in "
                "memory until the input ends, and no row reaches the steps after it before then"
            )
        steps.append(Step(index, label, op, keys, reads, writes, tuple(sorted(deps or {SOURCE}))))

    if problems:
        raise CompileError(problems)
    return Plan(tuple(steps), known, tuple(warnings))


def _bind(
    op: Operator, given: dict[str, Any], where: str, problems: list[str]
) -> tuple[dict[str, Any], bool]:
    """The hook's keys: defaults, overridden by what run() bound; unknown or missing keys noted."""
    given = dict(given)
    overwrite = bool(given.pop("overwrite", False))
    params = op.hook_keys()
    keys = {k: d for k, d in params.items() if d is not REQUIRED}
    for name, value in given.items():
        if name not in params and not accepts_any_key(op.hook):
            expected = ", ".join(params) or "no keys"
            problems.append(f"{where}: unknown key {name}=...; {op.name} takes {expected}")
            continue
        keys[name] = value
    for name, default in params.items():
        if default is REQUIRED and name not in keys:
            problems.append(f"{where}: {op.name} needs {name}=... in run()")
    for name, value in keys.items():
        if name.startswith(("input_", "output_")) and not _is_key_value(value):
            problems.append(
                f"{where}: {name} must be a field name or a list of field names, got {value!r}"
            )
    return keys, overwrite


def _fields(op: Operator, keys: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    reads: list[str] = []
    writes: list[str] = []
    for name, value in keys.items():
        if not _is_key_value(value) or value is None:
            continue
        names = [value] if isinstance(value, str) else list(value)
        if name.startswith("input_"):
            reads += names
        elif name.startswith("output_"):
            writes += names
    if op.kind == OperatorKind.REFINER and not writes:
        writes = list(reads)  # a refiner rewrites what it reads
    return tuple(dict.fromkeys(reads)), tuple(dict.fromkeys(writes))


def _is_key_value(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _check_prompt(op: Operator, where: str, problems: list[str]) -> None:
    try:
        op.check_prompt_template(getattr(op, "prompt_template", None))
    except PromptTemplateError as exc:
        problems.append(f"{where}: {exc}")


def _labels(ops: list[Operator]) -> list[str]:
    """Unique step names: the class name, with #2, #3 for repeats."""
    seen: dict[str, int] = {}
    labels = []
    for op in ops:
        seen[op.name] = seen.get(op.name, 0) + 1
        labels.append(op.name if seen[op.name] == 1 else f"{op.name}#{seen[op.name]}")
    return labels
