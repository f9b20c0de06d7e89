"""Scenarios for function-call synthesis: name a chat's everyday scenario, or invent a new one.

One free-text request per row. The answer is stripped of quotes and whitespace; an empty answer
or a failed request fails the row with the reason (DataFlow writes whatever came back).
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Generator
from streamflow.operators.conversations.base import ConversationOperator, field_text
from streamflow.operators.conversations.prompts import ExpandScenarioPrompt, ExtractScenarioPrompt
from streamflow.operators.structured import ask_texts
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["ScenarioExpandGenerator", "ScenarioExtractGenerator", "one_line"]


def one_line(text: str) -> str:
    """The first non-empty line of an answer, without surrounding quotes or a trailing dot."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line.strip("\"'\u201c\u201d` ").rstrip(".").strip()


class _OnePromptGenerator(ConversationOperator, Generator):
    template_field: ClassVar[str]

    async def _generate(
        self, rows: list[Row], input_key: str, output_key: str
    ) -> list[Row | Failure]:
        texts = [field_text(row, input_key) for row in rows]
        prompts = [
            t if isinstance(t, Failure) else self._prompt(**{self.template_field: t}) for t in texts
        ]
        answers = await ask_texts(
            self.llm_serving,
            [p if isinstance(p, str) else None for p in prompts],
            params=[self._params(i) for i in row_ids()],
        )
        out: list[Row | Failure] = []
        for row, prompt, answer in zip(rows, prompts, answers, strict=True):
            if isinstance(prompt, Failure):
                out.append(prompt)
            elif isinstance(answer, Failure):
                out.append(answer)
            elif not answer or not one_line(answer):
                out.append(Failure("the model's answer was empty"))
            else:
                out.append({**row, output_key: one_line(answer)})
        return out


class ScenarioExtractGenerator(_OnePromptGenerator):
    """Writes the everyday scenario of each row's conversation (at most 10 words)."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (ExtractScenarioPrompt,)
    template_field = "conversation"

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: ExtractScenarioPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, ExtractScenarioPrompt(), max_tokens)

    async def process(
        self, rows: list[Row], input_chat_key: str, output_key: str = "scenario"
    ) -> Any:
        return await self._generate(rows, input_chat_key, output_key)


class ScenarioExpandGenerator(_OnePromptGenerator):
    """Writes a new scenario, clearly different from each row's."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (ExpandScenarioPrompt,)
    template_field = "scenario"

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: ExpandScenarioPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, ExpandScenarioPrompt(), max_tokens)

    async def process(
        self, rows: list[Row], input_scenario_key: str, output_key: str = "modified_scenario"
    ) -> Any:
        return await self._generate(rows, input_scenario_key, output_key)
