"""SFTGeneratorSeed: one instruction/response pair per document, grounded in it.

The document goes as the user message, the request (with the user's ``custom_prompt``) as the
system message, and the answer comes back as JSON ``{"instruction", "output"}`` under a schema
the serving enforces. DataFlow writes the chat markup into a single prompt by hand, finds the
first JSON object in free text and drops rows where it finds none; here an unusable answer
fails the row with the reason, and an empty document fails it too. The document stays in the
row (DataFlow keeps it as ``raw_content``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec

from streamflow.actors.base import Generator
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.llm import has_content
from streamflow.operators.structured import ask_structured, row_seed, sampling
from streamflow.operators.text_sft.prompts import SFTGeneratorSeedPrompt
from streamflow.prompts.base import DIYPromptABC, as_text
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["SFTGeneratorSeed", "SFTPair"]


class SFTPair(msgspec.Struct, forbid_unknown_fields=True):
    instruction: Annotated[str, msgspec.Meta(max_length=600)]
    output: Annotated[str, msgspec.Meta(max_length=3000)]


class SFTGeneratorSeed(LLMOperator, Generator):
    """Writes an instruction and its response, drawn from each row's document.

    ``custom_prompt`` adds requirements (DataFlow's; it is required there). ``max_tokens``
    defaults to DataFlow's 4096; ``temperature`` (not in DataFlow) overrides the serving's.
    ``output_instruction_key``/``output_output_key`` (DataFlow: fixed ``instruction``/``output``)
    name the new fields.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (SFTGeneratorSeedPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        custom_prompt: str = "",
        *,
        prompt_template: SFTGeneratorSeedPrompt | DIYPromptABC | None = None,
        max_tokens: int = 4096,
        temperature: float | None = None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.custom_prompt = custom_prompt
        self.prompt_template = (
            prompt_template
            if prompt_template is not None
            else SFTGeneratorSeedPrompt(custom_prompt)
        )
        self.max_tokens = max_tokens
        self.temperature = temperature

    async def process(
        self,
        rows: list[Row],
        input_key: str = "raw_content",
        output_instruction_key: str = "instruction",
        output_output_key: str = "output",
    ) -> list[Row | Failure]:
        build_system = getattr(self.prompt_template, "build_system_prompt", None)
        system = str(build_system()) if callable(build_system) else ""
        prompts: list[str | None] = [
            self.prompt_template.build_prompt(content=as_text(row[input_key]))
            if has_content(row.get(input_key))
            else None
            for row in rows
        ]
        params = [
            sampling(
                self.llm_serving,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                seed=row_seed(i),
            )
            for i in row_ids()
        ]
        pairs = await ask_structured(
            self.llm_serving, prompts, SFTPair, system_prompt=system, params=params
        )
        out: list[Row | Failure] = []
        for row, pair in zip(rows, pairs, strict=True):
            if pair is None:
                out.append(Failure(f"empty or missing field {input_key!r}"))
            elif isinstance(pair, Failure):
                out.append(pair)
            elif not pair.instruction.strip() or not pair.output.strip():
                out.append(Failure("the model wrote an empty instruction or output"))
            else:
                out.append(
                    {
                        **row,
                        output_instruction_key: pair.instruction.strip(),
                        output_output_key: pair.output.strip(),
                    }
                )
        return out
