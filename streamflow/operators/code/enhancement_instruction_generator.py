"""CodeEnhancementInstructionGenerator: a raw instruction rewritten into a standard shape."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.code._base import field_text, resolve_template
from streamflow.operators.code.prompts import CodeInstructionEnhancement, DiyCodePrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["CodeEnhancementInstructionGenerator"]


class CodeEnhancementInstructionGenerator(LLMOperator, Generator):
    """Writes to ``output_key`` the instruction in ``input_key`` rewritten as one standard
    English sentence plus a fenced, fully typed Python function stub whose docstring states
    the problem with a doctest (DataFlow's standardised form for code generation).

    ``input_key`` may hold a string or a list of chat messages (sent as JSON, as DataFlow sends
    the value as it is). A row whose instruction is empty or missing gets ``""`` and no
    request; a failed request fails the row.
    """

    ALLOWED_PROMPTS = (CodeInstructionEnhancement, DiyCodePrompt)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: CodeInstructionEnhancement
        | DiyCodePrompt
        | DIYPromptABC
        | str
        | None = None,
    ) -> None:
        self.prompt_template = resolve_template(self, prompt_template, CodeInstructionEnhancement)
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "messages",
        output_key: str = "generated_instruction",
    ) -> list[Row | Failure]:
        prompts = []
        for row in rows:
            text = field_text(row, input_key)
            prompts.append(
                None if text is None else self.prompt_template.build_prompt(instruction=text)
            )
        answers = await self.ask(prompts)
        return [
            answer if isinstance(answer, Failure) else {**row, output_key: (answer or "").strip()}
            for row, answer in zip(rows, answers, strict=True)
        ]
