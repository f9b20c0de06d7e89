"""Structured output for LLM operators: the serving enforces a JSON schema, msgspec decodes.

An operator that expects JSON declares the answer's shape as a msgspec type (a ``Struct`` with
``forbid_unknown_fields=True``, or a list of them). :func:`schema_of` turns it into a JSON
schema that every backend accepts: self-contained (no ``$ref``), every property required and
no others allowed, as OpenAI's strict ``response_format`` demands; vLLM turns it into guided
decoding, so even a small model answers in that shape. :func:`ask_structured` sends each prompt
with the schema and decodes each answer into the type. An answer that is cut off, is not JSON
or does not have the shape (a server that ignored the schema, a fake in a test) fails its row
with the reason: nothing falls back to a default.

Shapes that depend on the row (a tool call's arguments follow that tool's own schema) are
asked with an explicit ``schema`` and checked with :func:`schema_errors` (jsonschema).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import anyio
import msgspec

from streamflow.rows import Failure, fingerprint
from streamflow.serving.base import (
    Completion,
    LLMRequestError,
    LLMServing,
    Message,
    SamplingParams,
)

__all__ = [
    "Prompt",
    "ask_structured",
    "ask_texts",
    "decode_as",
    "row_seed",
    "sampling",
    "schema_errors",
    "schema_of",
]

T = TypeVar("T")
Prompt = str | list[Message]
"""A user prompt, or a whole conversation."""

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S | re.I)
_REF = "#/$defs/"


def schema_of(tp: Any) -> dict[str, Any]:
    """The JSON schema of the msgspec type ``tp``, with every ``$ref`` inlined."""
    schema = msgspec.json.schema(tp)
    defs = schema.pop("$defs", {})

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF):
                name = ref.removeprefix(_REF)
                if name in seen:
                    raise ValueError(f"recursive type {name} cannot be inlined into a schema")
                return inline(defs[name], (*seen, name))
            return {k: inline(v, seen) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [inline(v, seen) for v in node]
        return node

    result: dict[str, Any] = inline(schema, ())
    return result


def decode_as(text: str, tp: type[T] | Any) -> T | str:
    """``text`` decoded into ``tp`` (code fences allowed), or why it cannot be."""
    match = _FENCE.match(text)
    body = match.group(1) if match else text.strip()
    try:
        value: T = msgspec.json.decode(body, type=tp)
    except msgspec.ValidationError as exc:
        return f"answer does not fit the schema ({exc})"
    except msgspec.DecodeError as exc:
        return f"answer is not valid JSON ({exc})"
    return value


def sampling(
    serving: LLMServing,
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    at_least: int | None = None,
) -> SamplingParams:
    """The serving's sampling parameters with an operator's own settings put over them.

    ``at_least`` is a floor under ``max_tokens`` (given or the serving's): the room a structured
    answer needs at most under its schema's bounds (about one token per character), so that a
    setting meant for short free text does not cut every JSON answer off.
    """
    changes: dict[str, Any] = {}
    if max_tokens is not None:
        changes["max_tokens"] = max_tokens
    if at_least is not None and changes.get("max_tokens", serving.params.max_tokens) < at_least:
        changes["max_tokens"] = at_least
    if temperature is not None:
        changes["temperature"] = temperature
    if seed is not None:
        changes["seed"] = seed
    return dataclasses.replace(serving.params, **changes) if changes else serving.params


def row_seed(*parts: Any) -> int:
    """A sampling seed derived from a row's id (and the operator's seed): the same on every run,
    so a sampled answer can be generated again exactly."""
    return int(fingerprint("|".join(map(str, parts)), 8), 16)


async def ask_texts(
    serving: LLMServing,
    prompts: Sequence[Prompt | None],
    *,
    system_prompt: str = "",
    params: SamplingParams | Sequence[SamplingParams | None] | None = None,
) -> list[str | Failure | None]:
    """Each prompt's answer text, all requests at once; ``None`` prompts are not sent.

    ``params`` is one set for every prompt or one per prompt. A request that failed for good
    becomes a :class:`Failure`, transient when trying again later may succeed.
    """
    completions = await _complete_each(serving, prompts, system_prompt, params, None)
    return [c.text if isinstance(c, Completion) else c for c in completions]


async def ask_structured(
    serving: LLMServing,
    prompts: Sequence[Prompt | None],
    tp: type[T] | Any,
    *,
    schema: dict[str, Any] | None = None,
    system_prompt: str = "",
    params: SamplingParams | Sequence[SamplingParams | None] | None = None,
) -> list[T | Failure | None]:
    """Each prompt's answer decoded into ``tp``, asked under ``schema`` (default: ``tp``'s).

    A failed request, or an answer that does not decode (cut off at max_tokens, not JSON, not
    of the shape) becomes a :class:`Failure` naming the reason and the start of the answer.
    """
    json_schema = schema if schema is not None else schema_of(tp)
    completions = await _complete_each(serving, prompts, system_prompt, params, json_schema)
    out: list[T | Failure | None] = []
    for completion in completions:
        if not isinstance(completion, Completion):
            out.append(completion)
            continue
        value = decode_as(completion.text, tp)
        if isinstance(value, str):
            if completion.finish_reasons[:1] == ["length"]:
                value = "answer cut off at max_tokens"
            out.append(Failure(f"{value}: {_clip(completion.text)}"))
        else:
            out.append(value)
    return out


async def _complete_each(
    serving: LLMServing,
    prompts: Sequence[Prompt | None],
    system_prompt: str,
    params: SamplingParams | Sequence[SamplingParams | None] | None,
    json_schema: dict[str, Any] | None,
) -> list[Completion | Failure | None]:
    answers: list[Completion | Failure | None] = [None] * len(prompts)
    per_prompt = _per_prompt(params, len(prompts))

    async def one(i: int, prompt: Prompt) -> None:
        try:
            answers[i] = await serving.complete(
                prompt, system_prompt=system_prompt, json_schema=json_schema, params=per_prompt[i]
            )
        except LLMRequestError as exc:
            answers[i] = Failure(exc.reason, transient=exc.transient)

    async with anyio.create_task_group() as tg:
        for i, prompt in enumerate(prompts):
            if prompt is not None:
                tg.start_soon(one, i, prompt)
    return answers


def schema_errors(instance: Any, schema: dict[str, Any]) -> str | None:
    """Why ``instance`` does not validate against ``schema`` (None when it does)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    first = errors[0]
    where = "/".join(map(str, first.absolute_path)) or "(top)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"at {where}: {first.message}{more}"


def _per_prompt(
    params: SamplingParams | Sequence[SamplingParams | None] | None, n: int
) -> list[SamplingParams | None]:
    if params is None or isinstance(params, SamplingParams):
        return [params] * n
    given = list(params)
    if len(given) != n:
        raise ValueError(f"{len(given)} sampling parameter sets for {n} prompts")
    return given


def _clip(text: str, limit: int = 160) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
