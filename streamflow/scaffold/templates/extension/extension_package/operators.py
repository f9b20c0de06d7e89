"""Operators of extension-package.

Each is declared in pyproject.toml under "streamflow.operators".
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow import Generator
from streamflow.operators.llm import ask_each, default_serving
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


class ExtensionPackageSummarizer(Generator):
    """Adds a one-sentence summary of a text field, asked of an LLM with its prompt template
    (ExtensionPackageSummaryPrompt).

    Without ``llm_serving`` it uses streamflow's embedded default model. A request that fails
    for good fails its row alone: the row goes to the dead letters with the reason.
    """

    expensive: ClassVar[bool] = True  # answers are kept in the run store: a resume reuses them
    ALLOWED_PROMPTS = (ExtensionPackageSummaryPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: ExtensionPackageSummaryPrompt | None = None,
    ) -> None:
        self.llm_serving = llm_serving if llm_serving is not None else default_serving()
        self.prompt_template = prompt_template or ExtensionPackageSummaryPrompt()

    async def process(
        self, rows: list[dict[str, Any]], input_key: str = "text", output_key: str = "summary"
    ) -> list[dict[str, Any] | Failure]:
        prompts = [self.prompt_template.build_prompt(text=str(row[input_key])) for row in rows]
        answers = await ask_each(self.llm_serving, prompts)
        return [
            answer if isinstance(answer, Failure) else {**row, output_key: str(answer).strip()}
            for row, answer in zip(rows, answers, strict=True)
        ]
