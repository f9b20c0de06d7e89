"""CodeInstructionToCodeGenerator: code that carries out an instruction."""

from __future__ import annotations

import re

from streamflow.actors.base import Generator
from streamflow.operators.code._base import field_text, resolve_template
from streamflow.operators.code.prompts import CodeInstructionToCodeGeneratorPrompt, DiyCodePrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["CodeInstructionToCodeGenerator", "extract_code"]

_FENCED = re.compile(r"```[ \t]*([\w+#.-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


def extract_code(answer: str) -> str:
    """The code in an answer: the body of its first fenced block (language tag dropped, an
    unclosed fence read to the end), else the whole answer, stripped.

    DataFlow's pattern takes everything from the first fence to the last one, which keeps the
    prose and fences between two blocks; here only the first block is taken.
    """
    match = _FENCED.search(answer)
    return (match.group(2) if match else answer).strip()


class CodeInstructionToCodeGenerator(LLMOperator, Generator):
    """Writes to ``output_key`` the code an LLM writes for the instruction in ``input_key``,
    taken out of a markdown fence when the model used one (:func:`extract_code`).

    A row whose instruction is empty or missing gets ``""`` and no request; a failed request
    fails the row. ``prompt_template`` may be a string (a :class:`DiyCodePrompt`).
    """

    ALLOWED_PROMPTS = (CodeInstructionToCodeGeneratorPrompt, DiyCodePrompt)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: CodeInstructionToCodeGeneratorPrompt
        | DiyCodePrompt
        | DIYPromptABC
        | str
        | None = None,
    ) -> None:
        self.prompt_template = resolve_template(
            self, prompt_template, CodeInstructionToCodeGeneratorPrompt
        )
        self._use(llm_serving)

    async def process(
        self, rows: list[Row], input_key: str = "instruction", output_key: str = "generated_code"
    ) -> list[Row | Failure]:
        prompts = []
        for row in rows:
            text = field_text(row, input_key)
            prompts.append(
                None if text is None else self.prompt_template.build_prompt(instruction=text)
            )
        answers = await self.ask(prompts)
        return [
            answer
            if isinstance(answer, Failure)
            else {**row, output_key: extract_code(answer or "")}
            for row, answer in zip(rows, answers, strict=True)
        ]
