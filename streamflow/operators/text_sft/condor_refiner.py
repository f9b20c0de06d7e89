"""CondorRefiner: critique a response, then rewrite it from the critique (Condor's refinement).

Two requests per row: the model reviews the (instruction, response) pair, then rewrites the
response given its own review. The rewrite replaces ``input_output_key``; the markers
``[Improved Answer Start]``/``[Improved Answer End]`` are removed when the model wrote them. A
row without an instruction or response is passed on unchanged (nothing to refine); a failed
request or an empty rewrite fails the row with the reason (DataFlow would write whatever came
back, empty included).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from streamflow.actors.base import Refiner
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.llm import has_content
from streamflow.operators.structured import ask_texts, row_seed, sampling
from streamflow.operators.text_sft.prompts import CondorRefinePrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["CondorRefiner", "strip_markers"]

_MARKED = re.compile(r"\[Improved Answer Start\](.*?)(?:\[Improved Answer End\]|$)", re.S)


def strip_markers(text: str) -> str:
    """The improved answer inside its markers (or the whole text when there are none)."""
    match = _MARKED.search(text)
    return (match.group(1) if match else text).replace("[Improved Answer End]", "").strip()


class CondorRefiner(LLMOperator, Refiner):
    """Rewrites each row's response after a critique (see the module docstring).

    ``temperature`` and ``max_tokens`` (not in DataFlow) override the serving's sampling.
    """

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (CondorRefinePrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: CondorRefinePrompt | DIYPromptABC | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.prompt_template = (
            prompt_template if prompt_template is not None else CondorRefinePrompt()
        )
        self.temperature = temperature
        self.max_tokens = max_tokens

    async def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
    ) -> list[Row | Failure]:
        ids = row_ids()
        todo = [
            has_content(row.get(input_instruction_key)) and has_content(row.get(input_output_key))
            for row in rows
        ]
        critique_prompts = [
            self.prompt_template.build_prompt(
                mode="critique",
                question=str(row[input_instruction_key]),
                answer=str(row[input_output_key]),
            )
            if go
            else None
            for row, go in zip(rows, todo, strict=True)
        ]
        critiques = await ask_texts(
            self.llm_serving, critique_prompts, params=[self._params(i, "critique") for i in ids]
        )
        refine_prompts: list[str | None] = []
        for row, critique in zip(rows, critiques, strict=True):
            if isinstance(critique, str):
                refine_prompts.append(
                    self.prompt_template.build_prompt(
                        mode="refine",
                        question=str(row[input_instruction_key]),
                        answer=str(row[input_output_key]),
                        critique=critique.strip(),
                    )
                )
            else:
                refine_prompts.append(None)
        refined = await ask_texts(
            self.llm_serving, refine_prompts, params=[self._params(i, "refine") for i in ids]
        )
        out: list[Row | Failure] = []
        for row, go, critique, answer in zip(rows, todo, critiques, refined, strict=True):
            if not go:
                out.append(row)
            elif isinstance(critique, Failure):
                out.append(Failure(f"critique: {critique.reason}", transient=critique.transient))
            elif isinstance(answer, Failure):
                out.append(Failure(f"refinement: {answer.reason}", transient=answer.transient))
            elif not answer or not strip_markers(answer):
                out.append(Failure("the refinement came back empty"))
            else:
                out.append({**row, input_output_key: strip_markers(answer)})
        return out

    def _params(self, row_id: str, part: str) -> Any:
        return sampling(
            self.llm_serving,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=row_seed(row_id, part),
        )
