"""What the reasoning operators share: the LLM operator base, prompt templates given as classes
or instances, several samples in one request, and reading a judge's verdict.

Judges' replies are parsed strictly: a reply without the verdict fails its row (a dead letter
with the reply in the reason). DataFlow treats any reply that contains "true" as a pass and
anything else as a fail, which hides a misbehaving model.
"""

from __future__ import annotations

import re
from typing import Any

from streamflow.actors.base import Operator
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.llm import ask_each, has_content, parse_json_object
from streamflow.prompts.base import PromptTemplate, as_text
from streamflow.rows import Failure, Row

__all__ = [
    "JUDGEMENT_RESULT_SCHEMA",
    "JUDGEMENT_TEST_SCHEMA",
    "LLMOperator",
    "ask_each",
    "field_text",
    "has_content",
    "parse_json_object",
    "parse_judgement",
    "resolve_template",
    "strip_thinking",
]


def _verdict_schema(key: str, note: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {key: {"type": "boolean"}}
    if note:
        properties[note] = {"type": ["string", "null"]}
    return {
        "title": key,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


JUDGEMENT_TEST_SCHEMA = _verdict_schema("judgement_test", "error_type")
"""Structured output for the question judges: pass it as ``json_schema=`` where the serving
supports it (vLLM, SGLang, OpenAI), so that even a small model replies with a usable verdict."""
JUDGEMENT_RESULT_SCHEMA = _verdict_schema("judgement_result", None)
"""Structured output for the answer judge (``ReasoningAnswerModelJudgeFilter``)."""


def resolve_template(
    op: Operator, template: PromptTemplate | type[PromptTemplate] | None, default: type
) -> PromptTemplate:
    """The template to use: ``default()`` for None, an instance for a class (DataFlow's
    constructors default to the class itself), checked against ``op.ALLOWED_PROMPTS``."""
    if template is None:
        template = default()
    elif isinstance(template, type):
        template = template()
    op.check_prompt_template(template)
    assert isinstance(template, PromptTemplate)
    return template


def field_text(row: Row, key: str) -> str | None:
    """A field as prompt text, or ``None`` where it is missing or blank (no request then)."""
    value = row.get(key)
    return as_text(value) if has_content(value) else None


_THINK = re.compile(r"<think>.*?</think>", re.S)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.S)


def strip_thinking(text: str) -> str:
    """A reasoning model's reply without its ``<think>`` part (the ``<answer>`` content where
    the reply has one)."""
    tagged = _ANSWER_TAG.search(text)
    if tagged:
        return tagged.group(1).strip()
    return _THINK.sub("", text).strip()


def parse_judgement(text: str, key: str) -> tuple[bool, str] | None:
    """The verdict under ``key`` in a judge's reply and its stated reason, or ``None``.

    The reply may hold reasoning before the JSON object; the last ``"key": true/false`` counts
    (quotes around the value and any letter case are accepted). The reason is the object's
    ``error_type`` (or ``reason``/``explanation``) where it gives one.
    """
    found = re.findall(rf'"{re.escape(key)}"\s*:\s*"?(true|false)\b', text, re.I)
    if not found:
        return None
    reason = ""
    note = re.findall(r'"(?:error_type|reason|explanation)"\s*:\s*"((?:[^"\\]|\\.)*)"', text)
    if note:
        reason = " ".join(note[-1].split())[:300]
    return found[-1].lower() == "true", reason


def unusable(reply: str, what: str) -> Failure:
    """A row's failure for a reply the operator cannot read."""
    return Failure(f"no {what} in the reply: {reply[:160]!r}")
