"""Per-question LLM evaluators: difficulty, category and solvability.

Each writes what it read from the model's reply; a reply it cannot read fails that row (a dead
letter with the reply), where DataFlow writes a default (difficulty -1, no category). Each takes
an optional ``json_schema`` that the serving enforces (structured output on vLLM, SGLang,
OpenAI): the schemas here (:data:`DIFFICULTY_SCHEMA`, :data:`CATEGORY_SCHEMA`) make even a
small model reply in a form that can be read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.reasoning._base import (
    LLMOperator,
    field_text,
    parse_json_object,
    resolve_template,
    unusable,
)
from streamflow.operators.reasoning.categories import MATH_CATEGORIES, normalize_category
from streamflow.operators.reasoning.prompts import (
    MathQuestionCategoryPrompt,
    MathQuestionDifficultyPrompt,
    MathQuestionEvaluatorPrompt,
    system_prompt_of,
)
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = [
    "CATEGORY_SCHEMA",
    "DIFFICULTY_SCHEMA",
    "ReasoningQuestionCategorySampleEvaluator",
    "ReasoningQuestionDifficultySampleEvaluator",
    "ReasoningQuestionSolvableSampleEvaluator",
    "parse_rating",
]

RATINGS = [x / 2 for x in range(2, 21)]
"""1, 1.5, ..., 10: the difficulty scale."""

DIFFICULTY_SCHEMA: dict[str, Any] = {
    "title": "difficulty",
    "type": "object",
    "properties": {"rating": {"type": "number", "enum": RATINGS}, "reason": {"type": "string"}},
    "required": ["rating", "reason"],
    "additionalProperties": False,
}
CATEGORY_SCHEMA: dict[str, Any] = {
    "title": "category",
    "type": "object",
    "properties": {
        "primary_category": {"type": "string", "enum": list(MATH_CATEGORIES)},
        "secondary_category": {
            "type": "string",
            "enum": [s for subs in MATH_CATEGORIES.values() for s in subs],
        },
    },
    "required": ["primary_category", "secondary_category"],
    "additionalProperties": False,
}

_RATING = re.compile(r"Rating\W{0,4}(\d+(?:\.\d+)?)", re.I)


def parse_rating(reply: str) -> float | None:
    """The difficulty in a reply: after "Rating:", or a JSON ``rating``; within 1..10."""
    found = _RATING.search(reply)
    value: Any = found.group(1) if found else None
    if value is None:
        data = parse_json_object(reply)
        value = data.get("rating") if isinstance(data, dict) else None
    try:
        rating = float(value)
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 10 else None


class ReasoningQuestionDifficultySampleEvaluator(LLMOperator, SampleEvaluator):
    """Rates each question's difficulty from 1 to 10 (steps of 0.5) into ``output_key``.

    The model writes a short report ending in "Rating: X" (or, with
    ``json_schema=DIFFICULTY_SCHEMA``, a JSON ``rating``). No rating in 1..10 fails the row;
    DataFlow writes -1. An empty question fails the row too.
    """

    ALLOWED_PROMPTS = (MathQuestionDifficultyPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: MathQuestionDifficultyPrompt | DIYPromptABC | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self.prompt_template = resolve_template(self, prompt_template, MathQuestionDifficultyPrompt)
        self.json_schema = json_schema
        self._use(llm_serving)

    async def process(
        self, rows: list[Row], input_key: str, output_key: str = "difficulty_score"
    ) -> list[Row | Failure]:
        replies = await _ask(self, rows, input_key, self.json_schema)
        out: list[Row | Failure] = []
        for row, reply in zip(rows, replies, strict=True):
            if not isinstance(reply, str):
                out.append(reply or Failure(f"empty question in {input_key!r}"))
            elif (rating := parse_rating(reply)) is None:
                out.append(unusable(reply, "rating between 1 and 10"))
            else:
                out.append({**row, output_key: rating})
        return out


class ReasoningQuestionCategorySampleEvaluator(LLMOperator, SampleEvaluator):
    """Classifies each math question into DataFlow's taxonomy (:data:`MATH_CATEGORIES`).

    Writes the canonical names to ``output_primary_category_key`` and
    ``output_secondary_category_key`` (DataFlow's fixed ``primary_category`` and
    ``secondary_category``, which ``ReasoningCategoryDatasetEvaluator`` reads) and both, as
    ``{"primary_category": ..., "secondary_category": ...}``, to ``output_key`` (which DataFlow
    checks but leaves unwritten). The reply is a JSON object whose categories may be names,
    approximate names or taxonomy numbers ("7.2"); a reply that is not JSON or names no known
    primary category fails the row (DataFlow logs it and leaves the row unclassified). A
    secondary category that matches nothing is written as ``""``.
    """

    ALLOWED_PROMPTS = (MathQuestionCategoryPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: MathQuestionCategoryPrompt | DIYPromptABC | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self.prompt_template = resolve_template(self, prompt_template, MathQuestionCategoryPrompt)
        self.json_schema = json_schema
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "instruction",
        output_key: str = "question_category",
        output_primary_category_key: str = "primary_category",
        output_secondary_category_key: str = "secondary_category",
    ) -> list[Row | Failure]:
        replies = await _ask(self, rows, input_key, self.json_schema)
        out: list[Row | Failure] = []
        for row, reply in zip(rows, replies, strict=True):
            if not isinstance(reply, str):
                out.append(reply or Failure(f"empty question in {input_key!r}"))
                continue
            data = _json_in(reply)
            if data is None:
                out.append(unusable(reply, "JSON object"))
                continue
            found = normalize_category(data.get("primary_category"), data.get("secondary_category"))
            if found is None:
                out.append(unusable(reply, "category of the taxonomy"))
                continue
            primary, secondary = found
            out.append(
                {
                    **row,
                    output_key: {"primary_category": primary, "secondary_category": secondary},
                    output_primary_category_key: primary,
                    output_secondary_category_key: secondary,
                }
            )
        return out


_JUDGEMENT = re.compile(r"#\s*Judge\s*ment\s*#\W*(true|false)", re.I)


class ReasoningQuestionSolvableSampleEvaluator(LLMOperator, SampleEvaluator):
    """Asks whether each question is completely stated and solvable.

    As in DataFlow, ``output_key`` receives the whole reply (``#Judgement#: True/False`` then
    ``#Explanation#``). Bind ``output_solvable_key`` to also get the verdict as a boolean; a
    reply without one then fails the row. An empty question fails the row.
    """

    ALLOWED_PROMPTS = (MathQuestionEvaluatorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: MathQuestionEvaluatorPrompt | DIYPromptABC | None = None,
    ) -> None:
        self.prompt_template = resolve_template(self, prompt_template, MathQuestionEvaluatorPrompt)
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_key: str,
        output_key: str,
        output_solvable_key: str | None = None,
    ) -> list[Row | Failure]:
        replies = await _ask(
            self,
            rows,
            input_key,
            None,
            field="input_question",
            system=system_prompt_of(self.prompt_template),
        )
        out: list[Row | Failure] = []
        for row, reply in zip(rows, replies, strict=True):
            if not isinstance(reply, str):
                out.append(reply or Failure(f"empty question in {input_key!r}"))
                continue
            new = {**row, output_key: reply}
            if output_solvable_key is not None:
                verdict = _JUDGEMENT.search(reply)
                if verdict is None:
                    out.append(unusable(reply, "#Judgement#: True/False"))
                    continue
                new[output_solvable_key] = verdict.group(1).lower() == "true"
            out.append(new)
        return out


async def _ask(
    op: Any,
    rows: list[Row],
    input_key: str,
    json_schema: dict[str, Any] | None,
    *,
    field: str = "question",
    system: str = "",
) -> list[str | Failure | None]:
    template_fields = op.prompt_template.fields
    if field not in template_fields and len(template_fields) == 1:
        field = template_fields[0]  # a DIY template names its one field as it likes
    prompts = []
    for row in rows:
        question = field_text(row, input_key)
        prompts.append(
            None if question is None else op.prompt_template.build_prompt(**{field: question})
        )
    answers: list[str | Failure | None] = await op.ask(
        prompts, system_prompt=system, json_schema=json_schema
    )
    return answers


def _json_in(reply: str) -> dict[str, Any] | None:
    """The JSON object of a reply (fenced or not, possibly after some words), or ``None``."""
    data = parse_json_object(reply)
    if isinstance(data, dict):
        return data
    start, end = reply.find("{"), reply.rfind("}")
    if 0 <= start < end:
        try:
            inner = json.loads(reply[start : end + 1])
        except ValueError:
            return None
        return inner if isinstance(inner, dict) else None
    return None
