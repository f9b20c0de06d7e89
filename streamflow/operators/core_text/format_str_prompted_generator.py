"""FormatStrPromptedGenerator: a prompt template filled from several fields of each row.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Generator
from streamflow.operators.llm import DEFAULT_SYSTEM_PROMPT, LLMOperator, with_answer
from streamflow.prompts.base import DIYPromptABC, FormatStrPrompt, PromptFieldError
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["FormatStrPromptedGenerator"]


class FormatStrPromptedGenerator(LLMOperator, Generator):
    """Fills a :class:`FormatStrPrompt` (or a DIY template) from several fields per row.

    As in DataFlow, ``run()`` maps each template field to a row field by keyword:
    ``op.run(storage.step(), output_key="answer", question="q_text", context="doc")``. A
    template field that ``run()`` does not map is a compile-time error. Differs from DataFlow:
    an answer cut off at ``max_tokens`` fails its row unless ``accept_truncated=True``.
    """

    ALLOWED_PROMPTS = (FormatStrPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        prompt_template: FormatStrPrompt | DIYPromptABC | None = None,
        json_schema: dict[str, Any] | None = None,
        *,
        accept_truncated: bool = False,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.accept_truncated = accept_truncated
        self.system_prompt = system_prompt
        self.prompt_template = prompt_template if prompt_template is not None else FormatStrPrompt()
        self.json_schema = json_schema

    def run(self, storage: Any, **keys: Any) -> None:
        """Record the field mapping as ``input_<field>`` keys, so the plan sees what is read."""
        bound = {k: keys.pop(k) for k in ("output_key", "overwrite") if k in keys}
        missing = [f for f in self.prompt_template.fields if f not in keys]
        if missing:
            raise PromptFieldError(
                f"{self.name}: prompt template field {missing[0]!r} is not mapped to a row "
                f"field; pass {missing[0]}='<field>' to run()"
            )
        super().run(storage, **bound, **{f"input_{f}": column for f, column in keys.items()})

    async def process(
        self, rows: list[Row], output_key: str = "generated_content", **input_fields: str
    ) -> list[Row | Failure]:
        mapping = {key.removeprefix("input_"): column for key, column in input_fields.items()}
        prompts: list[str | None] = []
        failures: dict[int, Failure] = {}
        for i, row in enumerate(rows):
            absent = [column for column in mapping.values() if column not in row]
            try:
                if absent:
                    raise PromptFieldError(f"row has no field {absent[0]!r}")
                fields = {f: row[column] for f, column in mapping.items()}
                prompts.append(self.prompt_template.build_prompt(**fields))
            except PromptFieldError as exc:
                failures[i] = Failure(str(exc))
                prompts.append(None)
        answers = await self.ask(
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        return [
            failures.get(i) or with_answer(row, output_key, answer or "")
            for i, (row, answer) in enumerate(zip(rows, answers, strict=True))
        ]
