"""ReasoningAnswerModelJudgeFilter: an LLM decides whether an answer agrees with the reference."""

from __future__ import annotations

import inspect
from typing import Any

from streamflow.actors.base import Filter
from streamflow.operators.reasoning._base import (
    LLMOperator,
    has_content,
    parse_judgement,
    resolve_template,
    unusable,
)
from streamflow.operators.reasoning.prompts import AnswerJudgePrompt, AnswerJudgePromptQuestion
from streamflow.prompts.base import DIYPromptABC, as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ReasoningAnswerModelJudgeFilter"]


class ReasoningAnswerModelJudgeFilter(LLMOperator, Filter):
    """Keeps the rows whose answer the model judges consistent with the reference answer.

    The judge sees the question (with ``AnswerJudgePromptQuestion``, the default), the
    reference (``input_reference_key``) and the answer (``input_answer_key``) and replies
    ``{"judgement_result": true/false}``; the verdict goes to ``output_key`` (DataFlow's fixed
    ``answer_match_result``). With ``keep_all_samples=True`` every row is kept, verdict
    written, as DataFlow's general pipeline uses it. A row without a reference is not sent:
    its result is ``False`` (kept only with ``keep_all_samples``). A reply without a verdict
    fails the row (DataFlow counts any reply containing "true" as a match); pass
    ``json_schema=JUDGEMENT_RESULT_SCHEMA`` where the serving supports structured output.
    """

    ALLOWED_PROMPTS = (AnswerJudgePromptQuestion, AnswerJudgePrompt)

    def __init__(
        self,
        system_prompt: str = (
            "You are a helpful assistant specialized in evaluating answer correctness."
        ),
        llm_serving: LLMServing | None = None,
        prompt_template: (
            AnswerJudgePromptQuestion
            | AnswerJudgePrompt
            | DIYPromptABC
            | type[AnswerJudgePromptQuestion]
            | None
        ) = AnswerJudgePromptQuestion,
        keep_all_samples: bool = False,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self.system_prompt = system_prompt
        self.prompt_template = resolve_template(self, prompt_template, AnswerJudgePromptQuestion)
        self.keep_all_samples = keep_all_samples
        self.json_schema = json_schema
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_question_key: str = "question",
        input_answer_key: str = "answer",
        input_reference_key: str = "reference_answer",
        output_key: str = "answer_match_result",
    ) -> list[bool | tuple[bool, str] | Failure]:
        accepted = _accepted_fields(self.prompt_template)
        prompts: list[str | None] = []
        for row in rows:
            if not has_content(row.get(input_reference_key)):
                prompts.append(None)
                continue
            given = {
                "question": _text(row.get(input_question_key)),
                "answer": _text(row.get(input_answer_key)),
                "reference_answer": _text(row.get(input_reference_key)),
            }
            prompts.append(
                self.prompt_template.build_prompt(
                    **{k: v for k, v in given.items() if k in accepted}
                )
            )
        replies = await self.ask(
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        out: list[bool | tuple[bool, str] | Failure] = []
        for row, reply in zip(rows, replies, strict=True):
            if isinstance(reply, Failure):
                out.append(reply)
                continue
            if reply is None:
                row[output_key] = False
                out.append(True if self.keep_all_samples else (False, "no reference answer"))
                continue
            verdict = parse_judgement(reply, "judgement_result")
            if verdict is None:
                out.append(unusable(reply, '"judgement_result" verdict'))
                continue
            match = verdict[0]
            row[output_key] = match
            if match or self.keep_all_samples:
                out.append(True)
            else:
                out.append((False, "judged inconsistent with the reference answer"))
        return out


def _accepted_fields(template: Any) -> set[str]:
    """Which of question / answer / reference_answer the template's ``build_prompt`` takes."""
    params = inspect.signature(template.build_prompt).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return {"question", "answer", "reference_answer"}
    return set(params) & {"question", "answer", "reference_answer"}


def _text(value: Any) -> str:
    return "" if value is None else as_text(value)
