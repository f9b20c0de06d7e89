"""CodeCodeToInstructionGenerator: the instruction that would have produced a piece of code."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.code._base import field_text, resolve_template
from streamflow.operators.code.prompts import CodeCodeToInstructionGeneratorPrompt, DiyCodePrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["CodeCodeToInstructionGenerator"]


class CodeCodeToInstructionGenerator(LLMOperator, Generator):
    """Writes to ``output_key`` the instruction an LLM reads off the code in ``input_key`` (the
    first step of self-instruct style code data: code -> instruction -> new code).

    The answer is stripped of surrounding whitespace, as in DataFlow. A row whose code is
    empty or missing gets ``""`` and no request; a failed request fails the row.
    ``prompt_template`` may be a string (it becomes a :class:`DiyCodePrompt`, as in DataFlow).
    """

    ALLOWED_PROMPTS = (CodeCodeToInstructionGeneratorPrompt, DiyCodePrompt)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: CodeCodeToInstructionGeneratorPrompt
        | DiyCodePrompt
        | DIYPromptABC
        | str
        | None = None,
    ) -> None:
        self.prompt_template = resolve_template(
            self, prompt_template, CodeCodeToInstructionGeneratorPrompt
        )
        self._use(llm_serving)

    async def process(
        self, rows: list[Row], input_key: str = "code", output_key: str = "generated_instruction"
    ) -> list[Row | Failure]:
        prompts = []
        for row in rows:
            code = field_text(row, input_key)
            prompts.append(None if code is None else self.prompt_template.build_prompt(code=code))
        answers = await self.ask(prompts)
        return [
            answer if isinstance(answer, Failure) else {**row, output_key: (answer or "").strip()}
            for row, answer in zip(rows, answers, strict=True)
        ]
