"""An LLM reviewer's score of (instruction, code) pairs: DataFlow's ``CodeQualitySampleEvaluator``
and ``CodeQualityScoreFilter``.

The reviewer answers ``Score: N`` (1-10) and ``Feedback: ...``, or, asked for structured output
(``json_schema=REVIEW_SCHEMA``, streamflow's addition: what lets a small model answer in a form
that can be read), ``{"score": N, "feedback": "..."}``. A reply without a score in 1-10 fails its
row (a dead letter holding the reply); DataFlow scores it 0 and keeps it, which lets a
misbehaving model's output through the filter.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.code._base import Verdict, field_text, resolve_template
from streamflow.operators.code.prompts import CodeQualityEvaluatorPrompt, DiyCodePrompt
from streamflow.operators.llm import LLMOperator, parse_json_object, parse_score
from streamflow.prompts.base import DIYPromptABC, PromptTemplate
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = [
    "REVIEW_SCHEMA",
    "CodeQualitySampleEvaluator",
    "CodeQualityScoreFilter",
    "parse_review",
]

LOW, HIGH = 1, 10
REVIEW_SCHEMA: dict[str, Any] = {
    "title": "code_review",
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": LOW, "maximum": HIGH},
        "feedback": {"type": "string", "maxLength": 400},
    },
    "required": ["score", "feedback"],
    "additionalProperties": False,
}
"""Structured output for the reviewer: pass it as ``json_schema=`` where the serving supports it
(vLLM, SGLang, OpenAI); the shipped pipelines do."""
_SCORE = re.compile(r"\b\"?Score\"?\s*[:：]\s*\**\s*(\d+(?:\.\d+)?)", re.I)
_FEEDBACK = re.compile(r"\b\"?Feedback\"?\s*[:：]\s*(.*)", re.I | re.S)


def parse_review(reply: str) -> tuple[int | float, str] | str:
    """``(score, feedback)`` from a reviewer's reply, or why there is none."""
    data = parse_json_object(reply)
    if isinstance(data, dict) and "score" in data:
        value = data["score"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"score {value!r} is not a number in reply {reply[:300]!r}"
        if not LOW <= value <= HIGH:
            return f"score {value} outside {LOW}-{HIGH} in reply {reply[:300]!r}"
        return value, str(data.get("feedback") or "").strip()
    match = _SCORE.search(reply)
    parsed: tuple[int | float, str] | None
    if match:
        value = float(match.group(1))
        parsed = (int(value) if value.is_integer() else value, "")
        if not LOW <= value <= HIGH:
            return f"score {match.group(1)} outside {LOW}-{HIGH} in reply {reply[:300]!r}"
    else:
        parsed = parse_score(reply, LOW, HIGH)
        if parsed is None:
            return f"no score {LOW}-{HIGH} in reply {reply[:300]!r}"
    feedback = _FEEDBACK.search(reply)
    text = feedback.group(1) if feedback else parsed[1]
    return parsed[0], text.strip().lstrip('*"').strip()


async def review(
    op: LLMOperator,
    template: PromptTemplate,
    rows: list[Row],
    instruction_key: str,
    code_key: str,
    json_schema: dict[str, Any] | None,
) -> list[tuple[int | float, str] | Failure]:
    """One review per row; a row without instruction or code fails without a request."""
    prompts: list[str | None] = []
    for row in rows:
        instruction, code = field_text(row, instruction_key), field_text(row, code_key)
        prompts.append(
            None
            if instruction is None or code is None
            else template.build_prompt(instruction=instruction, code=code)
        )
    answers = await op.ask(prompts, json_schema=json_schema)
    out: list[tuple[int | float, str] | Failure] = []
    for prompt, answer in zip(prompts, answers, strict=True):
        if prompt is None:
            out.append(Failure(f"no instruction in {instruction_key!r} or no code in {code_key!r}"))
        elif isinstance(answer, Failure):
            out.append(answer)
        else:
            parsed = parse_review(answer or "")
            out.append(Failure(parsed) if isinstance(parsed, str) else parsed)
    return out


class CodeQualitySampleEvaluator(LLMOperator, SampleEvaluator):
    """Writes an LLM reviewer's score (1-10) to ``output_score_key`` and its feedback to
    ``output_feedback_key`` for the code in ``input_code_key`` against the instruction in
    ``input_instruction_key`` (correctness and completeness, clarity, efficiency)."""

    ALLOWED_PROMPTS = (CodeQualityEvaluatorPrompt, DiyCodePrompt)
    score_name: ClassVar[str] = "CodeQualityScore"

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: CodeQualityEvaluatorPrompt
        | DiyCodePrompt
        | DIYPromptABC
        | str
        | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self.prompt_template = resolve_template(self, prompt_template, CodeQualityEvaluatorPrompt)
        self.json_schema = json_schema
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_instruction_key: str,
        input_code_key: str,
        output_score_key: str = "quality_score",
        output_feedback_key: str = "quality_feedback",
    ) -> list[Row | Failure]:
        reviews = await review(
            self,
            self.prompt_template,
            rows,
            input_instruction_key,
            input_code_key,
            self.json_schema,
        )
        return [
            r
            if isinstance(r, Failure)
            else {**row, output_score_key: r[0], output_feedback_key: r[1]}
            for row, r in zip(rows, reviews, strict=True)
        ]


class CodeQualityScoreFilter(LLMOperator, Filter):
    """Keeps pairs whose reviewer score lies in ``[min_score, max_score]`` (DataFlow's defaults
    7 and 10) and writes the 0/1 label to ``output_key``.

    A row that already holds ``output_score_key`` (an earlier ``CodeQualitySampleEvaluator``)
    is judged on it without a request, as in DataFlow; the others are reviewed first, their
    score and feedback written to the row. Differences from DataFlow: DataFlow reviews only
    when no row has the column and keeps every row scored 0 (its mark of an unparsable reply);
    here an unparsable reply fails the row instead, so a 0 is an ordinary out-of-range score.
    """

    ALLOWED_PROMPTS = (CodeQualityEvaluatorPrompt, DiyCodePrompt)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        min_score: float = 7,
        max_score: float = 10,
        prompt_template: CodeQualityEvaluatorPrompt
        | DiyCodePrompt
        | DIYPromptABC
        | str
        | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        if min_score > max_score:
            raise ValueError(
                f"CodeQualityScoreFilter: min_score {min_score} > max_score {max_score}"
            )
        self.min_score = min_score
        self.max_score = max_score
        self.prompt_template = resolve_template(self, prompt_template, CodeQualityEvaluatorPrompt)
        self.json_schema = json_schema
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_instruction_key: str,
        input_code_key: str,
        output_score_key: str = "quality_score",
        output_feedback_key: str = "quality_feedback",
        output_key: str = "quality_score_filter_label",
    ) -> list[Verdict | Failure]:
        unscored = [row for row in rows if output_score_key not in row]
        by_row: dict[int, tuple[int | float, str] | Failure] = {}
        if unscored:
            reviews = await review(
                self,
                self.prompt_template,
                unscored,
                input_instruction_key,
                input_code_key,
                self.json_schema,
            )
            by_row = {id(row): r for row, r in zip(unscored, reviews, strict=True)}
        verdicts: list[Verdict | Failure] = []
        for row in rows:
            r = by_row.get(id(row))
            if r is not None:
                if isinstance(r, Failure):
                    verdicts.append(r)
                    continue
                row[output_score_key], row[output_feedback_key] = r
            score = row[output_score_key]
            if isinstance(score, bool) or not isinstance(score, int | float):
                verdicts.append(Failure(f"{output_score_key} must be a number, got {score!r}"))
                continue
            kept = self.min_score <= score <= self.max_score
            row[output_key] = int(kept)
            verdicts.append(
                True
                if kept
                else (
                    False,
                    f"quality score {score:g} outside [{self.min_score:g}, {self.max_score:g}]",
                )
            )
        return verdicts
