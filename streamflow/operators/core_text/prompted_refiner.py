"""PromptedRefiner: a field rewritten by the model.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from streamflow.actors.base import Refiner
from streamflow.operators.llm import (
    DEFAULT_SYSTEM_PROMPT,
    LLMOperator,
    prompts_for,
    with_answer,
)
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["PromptedRefiner"]


class PromptedRefiner(LLMOperator, Refiner):
    """Rewrites the input field with the model's answer to ``system_prompt`` + the field.

    As in DataFlow, the instruction and the text go together in the user message.
    """

    def __init__(
        self, llm_serving: LLMServing | None = None, system_prompt: str = DEFAULT_SYSTEM_PROMPT
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt

    async def process(self, rows: list[Row], input_key: str = "raw_content") -> list[Row | Failure]:
        prompts = prompts_for(rows, input_key, lambda text: f"{self.system_prompt}\n\n{text}")
        answers = await self.ask(prompts)
        return [
            row if answer is None else with_answer(row, input_key, answer)
            for row, answer in zip(rows, answers, strict=True)
        ]
