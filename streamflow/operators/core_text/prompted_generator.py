"""PromptedGenerator: one model answer per row, from a fixed instruction and one field.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Generator
from streamflow.operators.llm import (
    DEFAULT_SYSTEM_PROMPT,
    LLMOperator,
    prompts_for,
    with_answer,
)
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["PromptedGenerator"]


class PromptedGenerator(LLMOperator, Generator):
    """Writes the model's answer to ``user_prompt`` + the input field into ``output_key``.

    ``system_prompt`` goes as the system message; ``json_schema`` constrains the answer.
    Differs from DataFlow: an answer cut off at ``max_tokens`` fails its row unless
    ``accept_truncated=True`` (then it is kept, and counted in the step's statistics).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        user_prompt: str = "",
        json_schema: dict[str, Any] | None = None,
        *,
        accept_truncated: bool = False,
    ) -> None:
        self._use(llm_serving)
        self.accept_truncated = accept_truncated
        self.system_prompt = system_prompt
        self.user_prompt = user_prompt
        self.json_schema = json_schema

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "generated_content"
    ) -> list[Row | Failure]:
        prompts = prompts_for(rows, input_key, lambda text: self.user_prompt + text)
        answers = await self.ask(
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        return [
            with_answer(row, output_key, answer or "")
            for row, answer in zip(rows, answers, strict=True)
        ]
