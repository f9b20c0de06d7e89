"""plan: ordered steps, checked and repaired by rules against signatures and the sample's fields.

A :class:`Step` is one operator with its constructor parameters and ``run()`` key bindings.
:func:`check_plan` walks the steps in order, keeping the set of fields that exist at each point
(the sample's, then each step's outputs), and repairs what a rule can repair, recording each
repair as a note:

- an input key bound to a field that does not exist (or not yet) is rebound: the key's default
  name if that field exists, else the field whose name shares most words with the key, else (for
  a generic ``input_key``) the most recently produced text field; a text key only binds to a
  field whose sample values are strings; a specific key (``input_question_key``) with no field
  of its kind is a problem, never bound to an unrelated field;
- a step that reads a field only a later step produces is moved after that step;
- an output key that would overwrite an existing field gets a fresh name (compile() refuses an
  accidental overwrite; a refiner rewrites its input field in place and has no output key);
- a parameter the constructor does not take is dropped; a value of the wrong type is converted
  or dropped; a number the request does not mention is dropped (the model may not invent limits).

What no rule can repair (a required input no field can feed, a required parameter with no value)
comes back as a problem; the agent then asks the model again or reports it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from streamflow.agent.catalog import SERVING_PARAMS, KeySpec, OperatorCard, words_of

if TYPE_CHECKING:
    from streamflow.agent.synthesis import Synthesised

__all__ = ["GAP_OPERATORS", "Check", "Step", "check_plan", "field_types", "snake_name"]

GAP_OPERATORS = ("PromptedGenerator", "PromptedFilter")
"""What a step no operator covers becomes (with a written prompt)."""
ASSEMBLER_PARAMS = (*SERVING_PARAMS, "prompt_template", "database_manager", "embedding_serving")
"""Parameters the assembler fills itself (serving, prompt template, databases)."""
GENERIC_KEYS = ("input_key", "input_text_key", "input_content_key")
NON_TEXT_WORDS = {"id", "ids", "path", "db", "meta", "score", "scores", "label", "num", "image"}


@dataclass
class Step:
    description: str
    operator: str
    params: dict[str, Any] = field(default_factory=dict)
    requested: dict[str, str] = field(default_factory=dict)
    """Key bindings asked for (a written prompt's output field); the rest are derived."""
    bindings: dict[str, str] = field(default_factory=dict)
    """The bindings :func:`check_plan` derived (re-derived on every check)."""
    asked: dict[str, Any] | None = None
    """The parameters as first given (``params`` is re-derived from them on every check)."""
    why: str = ""
    gap: bool = False
    """True: no operator covered the description; a prompted operator stands in."""
    synthesised: Synthesised | None = None
    """The operator class the agent wrote for this step (checked, passed its sandboxed trial);
    the assembler puts its source in the pipeline file."""

    def label(self) -> str:
        return self.operator


@dataclass
class Check:
    steps: list[Step]
    notes: list[str] = field(default_factory=list)
    """Rule-based repairs made."""
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(step index, what is wrong) that no rule could repair."""
    fields: list[str] = field(default_factory=list)
    """The fields every output row will carry (the sample's and those the steps add)."""


def field_types(sample: list[dict[str, Any]]) -> dict[str, str]:
    """Field -> ``str``/``number``/``bool``/``list``/``dict``/``null`` from the sample's values."""
    types: dict[str, str] = {}
    for row in sample:
        for key, value in row.items():
            kind = (
                "bool"
                if isinstance(value, bool)
                else "number"
                if isinstance(value, int | float)
                else "str"
                if isinstance(value, str)
                else "list"
                if isinstance(value, list)
                else "dict"
                if isinstance(value, dict)
                else "null"
            )
            if types.get(key, "null") == "null":
                types[key] = kind
    # the longest text last: a generic input (``input_key``) reads the main text of the rows
    length = {k: sum(len(r[k]) for r in sample if isinstance(r.get(k), str)) for k in types}
    return dict(sorted(types.items(), key=lambda kv: (kv[1] == "str", length[kv[0]])))


def snake_name(name: str) -> str:
    return "_".join(words_of(name))


def check_plan(
    steps: list[Step],
    cards: dict[str, OperatorCard],
    sample_fields: dict[str, str],
    request: str = "",
) -> Check:
    """Check and repair ``steps`` in order (see the module docstring)."""
    check = Check([])
    pending = list(steps)
    moves = 0
    while pending:
        step = pending.pop(0)
        card = cards.get(step.operator)
        if card is None:
            check.problems.append((len(check.steps), f"no operator named {step.operator!r}"))
            continue
        available = _available(check.steps, cards, sample_fields)
        step.bindings = dict(step.requested)
        unbound = _unbindable(step, card, available)
        if unbound and moves < 2 * len(steps):
            producer = _later_producer(unbound, step.requested.get(unbound.name), pending, cards)
            if producer is not None:
                moves += 1
                pending.insert(producer + 1, step)
                _note(
                    check.notes,
                    f"{step.operator}: moved after {pending[producer].operator}, which produces "
                    f"the field its {unbound.name} reads",
                )
                continue
        index = len(check.steps)
        check.steps.append(step)
        step.bindings = dict(step.requested)
        if step.asked is None:
            step.asked = dict(step.params)
        step.params = dict(step.asked)
        _check_params(step, card, request, check.notes, check.problems, index)
        _bind(step, card, available, check.notes, check.problems, index)
    check.fields = list(_available(check.steps, cards, sample_fields))
    return check


def _available(
    done: list[Step], cards: dict[str, OperatorCard], sample_fields: dict[str, str]
) -> dict[str, str]:
    available = dict(sample_fields)
    for step in done:
        card = cards[step.operator]
        for key in card.outputs:
            name = step.bindings.get(key.name)
            if name:
                available.pop(name, None)
                # the newest last: a generic input prefers it; scores are not text
                available[name] = "score" if _scores(card, key) else "str"
    return available


def _text_key(key: KeySpec) -> bool:
    return not (key.words & NON_TEXT_WORDS)


def _fits(key: KeySpec, name: str, available: dict[str, str]) -> bool:
    if name not in available:
        return False
    if key.default == name:
        return True
    return available[name] in ("str", "null") if _text_key(key) else True


def _best_field(key: KeySpec, available: dict[str, str]) -> str | None:
    if key.default and key.default in available:
        return key.default
    fitting = [name for name in available if _fits(key, name, available)]
    if not fitting:
        return None
    scored = [
        (len(key.words & set(words_of(name))), -len(set(words_of(name)) - key.words), i, name)
        for i, name in enumerate(fitting)
    ]
    best = max(scored)
    if best[0] > 0:
        return best[3]
    if _generic(key):
        return fitting[-1]  # the most recently produced (or the sample's last) text field
    return None


def _generic(key: KeySpec) -> bool:
    """A key that reads "the text", whatever it is called (``input_key``)."""
    return key.name in GENERIC_KEYS


def _needed(key: KeySpec) -> bool:
    """An input the operator reads unless told otherwise (a default None means optional)."""
    return key.required or key.default is not None


def _unbindable(step: Step, card: OperatorCard, available: dict[str, str]) -> KeySpec | None:
    """The first required input no existing field can feed."""
    for key in card.inputs:
        given = step.bindings.get(key.name)
        if given and _fits(key, given, available):
            continue
        if given or (_needed(key) and _best_field(key, available) is None):
            return key  # asked for a field that does not exist yet, or no field can feed it
    return None


def _later_producer(
    key: KeySpec, wanted: str | None, pending: list[Step], cards: dict[str, OperatorCard]
) -> int | None:
    """The first pending step that writes the field ``key`` asks for (or its kind)."""
    for i, other in enumerate(pending):
        card = cards.get(other.operator)
        if card is None:
            continue
        for out in card.outputs:
            name = other.bindings.get(out.name) or out.default
            if name and (name in (wanted, key.default) or set(words_of(name)) == key.words):
                return i
    return None


def _bind(
    step: Step,
    card: OperatorCard,
    available: dict[str, str],
    notes: list[str],
    problems: list[tuple[int, str]],
    index: int,
) -> None:
    known = {k.name for k in card.keys}
    name: str | None
    for stale in [n for n in step.bindings if n not in known]:
        notes.append(f"{step.operator}: dropped the binding {stale}= (run() takes no such key)")
        del step.bindings[stale]
    for key in card.inputs:
        given = step.bindings.get(key.name)
        if given and _fits(key, given, available):
            continue
        best = _best_field(key, available)
        if best is None:
            if given:
                del step.bindings[key.name]
            if _needed(key):
                have = ", ".join(f"{n} ({t})" for n, t in available.items()) or "no fields"
                problems.append(
                    (index, f"{step.operator} needs a field for {key.name} and the data has {have}")
                )
            continue
        if given and given != best:
            notes.append(
                f"{step.operator}: {key.name} read {given!r}, which does not exist "
                f"there; bound to {best!r}"
            )
        step.bindings[key.name] = best
    inputs = card.inputs
    if (
        inputs
        and not any(_needed(k) for k in inputs)
        and not any(k.name in step.bindings for k in inputs)
    ):
        # every input is optional, yet it reads something ("give input_key or input_keys"):
        # the first takes the text
        first = inputs[0]
        best = _best_field(first, available) or _latest_text(available)
        if best is None:
            have = ", ".join(f"{n} ({t})" for n, t in available.items()) or "no fields"
            problems.append(
                (index, f"{step.operator} needs a field for {first.name} and the data has {have}")
            )
        else:
            step.bindings[first.name] = best
    produced_here: set[str] = set()
    for key in card.outputs:
        name = step.bindings.get(key.name) or key.default
        if not name:
            if not key.required:
                continue
            name = f"{snake_name(card.name)}_{'_'.join(sorted(key.words)) or 'output'}"
        if name in available and name not in produced_here:
            fresh = _fresh(name, available)
            notes.append(
                f"{step.operator}: {key.name}={name!r} would overwrite an existing "
                f"field; wrote {fresh!r} instead"
            )
            name = fresh
        step.bindings[key.name] = name
        produced_here.add(name)


def _fresh(name: str, available: dict[str, str]) -> str:
    n = 2
    while f"{name}_{n}" in available:
        n += 1
    return f"{name}_{n}"


def _check_params(
    step: Step,
    card: OperatorCard,
    request: str,
    notes: list[str],
    problems: list[tuple[int, str]],
    index: int,
) -> None:
    numbers = {float(x) for x in re.findall(r"\d+(?:\.\d+)?", request)}
    for name in list(step.params):
        param = card.parameter(name)
        value = step.params[name]
        if param is None or name in ASSEMBLER_PARAMS:
            notes.append(f"{step.operator}: dropped parameter {name} (not a parameter it takes)")
            del step.params[name]
            continue
        converted = _convert(value, param.default)
        if converted is _INVALID:
            notes.append(f"{step.operator}: dropped {name}={value!r} (wrong type)")
            del step.params[name]
            continue
        if (
            isinstance(converted, int | float)
            and not isinstance(converted, bool)
            and float(converted) not in numbers
            and not getattr(step, "gap", False)
        ):
            notes.append(
                f"{step.operator}: dropped {name}={converted!r} (the request names no such number)"
            )
            del step.params[name]
            continue
        if param.default is not None and _literal(param.default) == converted:
            del step.params[name]  # the default: nothing to write
            continue
        step.params[name] = converted
    for param in card.parameters:
        missing = param.name not in step.params
        if param.default is None and param.name not in ASSEMBLER_PARAMS and missing:
            problems.append((index, f"{step.operator} needs a value for {param.name}"))


_INVALID = object()


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return _INVALID


def _convert(value: Any, default_repr: str | None) -> Any:
    """``value`` as the type of the parameter's default (anything literal when no default)."""
    default = _literal(default_repr) if default_repr is not None else None
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            return _INVALID
        if isinstance(default, int) and not isinstance(default, bool):
            number = float(value)
            return int(number) if number == int(number) else number
        if isinstance(default, float):
            return float(value)
        if isinstance(default, str):
            return str(value) if isinstance(value, str | int | float) else _INVALID
        if isinstance(default, tuple | list):
            return tuple(value) if isinstance(value, list | tuple) else _INVALID
    except (TypeError, ValueError):
        return _INVALID
    if default is None and isinstance(value, str | int | float | bool | list):
        return value
    return _INVALID if default is _INVALID else value


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


def _latest_text(available: dict[str, str]) -> str | None:
    texts = [n for n, t in available.items() if t in ("str", "null")]
    return texts[-1] if texts else None


SCORE_WORDS = {"score", "scores", "eval", "rating", "reward", "num", "count", "length", "flag"}


def _scores(card: OperatorCard, key: KeySpec) -> bool:
    """Whether ``key`` of ``card`` writes a score (a number), not text."""
    return (
        card.kind in ("sample_evaluator", "filter")
        and not (
            key.words & {"label", "category", "type", "difficulty", "text", "answer", "reason"}
        )
    ) or bool(key.words & SCORE_WORDS)
