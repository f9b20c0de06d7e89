"""Phi4QAGenerator: rewrite pre-training text as question-answer turns, as phi-4's data did.

One request per row (:class:`Phi4QAGeneratorPrompt`); the answer, the passage restated as
``Question: ... Answer: ...`` lines, is written into ``output_key``. A row with an empty input
is not sent and gets ``""`` (DataFlow skips such rows when prompting, which shifts every later
answer onto the wrong row); a request that fails fails its row alone.
"""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.operators.llm import LLMOperator, prompts_for
from streamflow.operators.text_pt.prompts import Phi4QAGeneratorPrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["Phi4QAGenerator"]


class Phi4QAGenerator(LLMOperator, Generator):
    """Writes the QA rewrite of ``input_key`` into ``output_key``.

    Differences from DataFlow: ``output_key`` is honoured (DataFlow always writes
    ``generated_content``); ``prompt_template`` is new (a DIY template with
    ``build_prompt(content)``).
    """

    ALLOWED_PROMPTS = (Phi4QAGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: Phi4QAGeneratorPrompt | DIYPromptABC | None = None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self.prompt_template = prompt_template or Phi4QAGeneratorPrompt()
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "raw_content",
        output_key: str = "generated_content",
    ) -> list[Row | Failure]:
        template = self.prompt_template
        prompts = prompts_for(rows, input_key, lambda text: template.build_prompt(content=text))
        answers = await self.ask(prompts)
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if isinstance(answer, Failure):
                out.append(answer)
            else:
                out.append({**row, output_key: answer if answer is not None else ""})
        return out
