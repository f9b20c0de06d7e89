"""ReasoningAnswerGenerator: a step-by-step solution of each question."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.reasoning._base import (
    LLMOperator,
    field_text,
    resolve_template,
)
from streamflow.operators.reasoning.prompts import (
    DiyAnswerGeneratorPrompt,
    GeneralAnswerGeneratorPrompt,
    MathAnswerGeneratorPrompt,
)
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ReasoningAnswerGenerator"]


class ReasoningAnswerGenerator(LLMOperator, Generator):
    """Writes the model's solution of the question in ``input_key`` to ``output_key``.

    The template asks for numbered steps and, for math, a final ``\\boxed{}`` answer (which
    ``ReasoningAnswerFormatterFilter`` and ``ReasoningAnswerGroundTruthFilter`` read). A row
    whose question is empty or missing gets ``""`` and no request.
    """

    ALLOWED_PROMPTS = (
        MathAnswerGeneratorPrompt,
        GeneralAnswerGeneratorPrompt,
        DiyAnswerGeneratorPrompt,
    )

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: (
            MathAnswerGeneratorPrompt
            | GeneralAnswerGeneratorPrompt
            | DiyAnswerGeneratorPrompt
            | DIYPromptABC
            | type[MathAnswerGeneratorPrompt]
            | None
        ) = MathAnswerGeneratorPrompt,
    ) -> None:
        self.prompt_template = resolve_template(self, prompt_template, MathAnswerGeneratorPrompt)
        self._use(llm_serving)

    async def process(
        self, rows: list[Row], input_key: str = "instruction", output_key: str = "generated_cot"
    ) -> list[Row | Failure]:
        prompts = []
        for row in rows:
            question = field_text(row, input_key)
            prompts.append(
                None if question is None else self.prompt_template.build_prompt(question=question)
            )
        answers = await self.ask(prompts)
        return [
            answer if isinstance(answer, Failure) else {**row, output_key: answer or ""}
            for row, answer in zip(rows, answers, strict=True)
        ]
