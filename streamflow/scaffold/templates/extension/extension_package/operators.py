"""Operators of extension-package.

Each is declared in pyproject.toml under "streamflow.operators".
"""

from __future__ import annotations

from typing import Any

from streamflow import Generator
from streamflow.operators.llm import LLMOperator
from streamflow.rows import Failure
from streamflow.serving.base import LLMServing

from extension_package.prompts import ExtensionPackageSummaryPrompt


class ExtensionPackageWordCounter(Generator):
    """Adds the number of whitespace-separated words of a text field.

    An example without an LLM: one new field per row.
    """

    def process(
        self, rows: list[dict[str, Any]], input_key: str = "text", output_key: str = "word_count"
    ) -> list[dict[str, Any]]:
        return [{**row, output_key: len(str(row[input_key]).split())} for row in rows]


class ExtensionPackageSummarizer(LLMOperator, Generator):
    """Adds a one-sentence summary of a text field, asked of an LLM with its prompt template
    (ExtensionPackageSummaryPrompt).

    Without ``llm_serving`` it uses streamflow's embedded default model. A request that fails
    for good, or an answer cut off at max_tokens, fails its row alone: the row goes to the dead
    letters with the reason. LLMOperator makes it ``expensive``: a resume reuses its answers.
    """

    ALLOWED_PROMPTS = (ExtensionPackageSummaryPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: ExtensionPackageSummaryPrompt | None = None,
    ) -> None:
        self._use(llm_serving)
        self.prompt_template = prompt_template or ExtensionPackageSummaryPrompt()

    async def process(
        self, rows: list[dict[str, Any]], input_key: str = "text", output_key: str = "summary"
    ) -> list[dict[str, Any] | Failure]:
        prompts = [self.prompt_template.build_prompt(text=str(row[input_key])) for row in rows]
        answers = await self.ask(prompts)
        return [
            answer if isinstance(answer, Failure) else {**row, output_key: str(answer).strip()}
            for row, answer in zip(rows, answers, strict=True)
        ]
