"""ReasoningQuestionFilter: an LLM judge that keeps well-posed, solvable questions."""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Filter
from streamflow.operators.reasoning._base import (
    LLMOperator,
    field_text,
    parse_judgement,
    resolve_template,
    unusable,
)
from streamflow.operators.reasoning.prompts import (
    DiyQuestionFilterPrompt,
    GeneralQuestionFilterPrompt,
    MathQuestionFilterPrompt,
)
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ReasoningQuestionFilter"]


class ReasoningQuestionFilter(LLMOperator, Filter):
    """Keeps the rows whose question (``input_key``) the model judges well-posed.

    The template walks the model through DataFlow's checks (a problem and nothing else;
    spelling and notation; conditions that respect facts; no contradiction; enough
    information) and asks for ``{"judgement_test": true/false, "error_type": ...}``, possibly
    after its reasoning. A dropped row records the model's ``error_type``. A reply without a
    ``judgement_test`` fails the row (DataFlow keeps any reply containing "true"); pass
    ``json_schema=JUDGEMENT_TEST_SCHEMA`` (from ``streamflow.operators.reasoning._base``)
    where the serving supports structured output, so that every reply has one. An empty
    question is dropped without a request.
    """

    ALLOWED_PROMPTS = (
        MathQuestionFilterPrompt,
        GeneralQuestionFilterPrompt,
        DiyQuestionFilterPrompt,
    )

    def __init__(
        self,
        system_prompt: str = "You are a helpful assistant.",
        llm_serving: LLMServing | None = None,
        prompt_template: (
            MathQuestionFilterPrompt
            | GeneralQuestionFilterPrompt
            | DiyQuestionFilterPrompt
            | DIYPromptABC
            | type[MathQuestionFilterPrompt]
            | None
        ) = MathQuestionFilterPrompt,
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        self.system_prompt = system_prompt
        self.prompt_template = resolve_template(self, prompt_template, MathQuestionFilterPrompt)
        self.json_schema = json_schema
        self._use(llm_serving)

    async def process(
        self, rows: list[Row], input_key: str = "math_problem"
    ) -> list[bool | tuple[bool, str] | Failure]:
        prompts = []
        for row in rows:
            question = field_text(row, input_key)
            prompts.append(
                None if question is None else self.prompt_template.build_prompt(question=question)
            )
        replies = await self.ask(
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        out: list[bool | tuple[bool, str] | Failure] = []
        for reply in replies:
            if reply is None:
                out.append((False, f"empty question in {input_key!r}"))
            elif isinstance(reply, Failure):
                out.append(reply)
            elif (verdict := parse_judgement(reply, "judgement_test")) is None:
                out.append(unusable(reply, '"judgement_test" verdict'))
            else:
                keep, why = verdict
                out.append(
                    True if keep else (False, f"judged ill-posed: {why or 'no reason given'}")
                )
        return out
