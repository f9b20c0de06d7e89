"""JsonPromptedGenerator: one schema-constrained answer per row fills several fields.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Generator
from streamflow.operators.llm import (
    DEFAULT_SYSTEM_PROMPT,
    LLMOperator,
    parse_json_object,
    prompts_for,
)
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["JsonPromptedGenerator"]


class JsonPromptedGenerator(LLMOperator, Generator):
    """One schema-constrained answer per row fills several output fields.

    ``json_schema`` describes a JSON object; the serving enforces it (structured decoding on
    vLLM, ``response_format`` over HTTP). Each of ``output_keys`` (by default every property of
    the schema) receives the property of the same name. An answer that is not a JSON object or
    lacks one of those properties fails the row, with the reason. Not in DataFlow, whose
    pipelines generate JSON text and parse it in a later step.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        json_schema: dict[str, Any],
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        user_prompt: str = "",
    ) -> None:
        properties = json_schema.get("properties")
        if (
            json_schema.get("type") != "object"
            or not isinstance(properties, dict)
            or not properties
        ):
            raise ValueError(
                f"{type(self).__name__} needs a JSON schema of an object with properties, "
                f"got {json_schema!r}"
            )
        self._use(llm_serving)
        self.json_schema = json_schema
        self.system_prompt = system_prompt
        self.user_prompt = user_prompt
        self.properties = tuple(properties)

    def run(self, storage: Any, **keys: Any) -> None:
        """Default ``output_keys`` to the schema's properties, so the plan knows what is written."""
        output_keys = keys.get("output_keys") or list(self.properties)
        output_keys = [output_keys] if isinstance(output_keys, str) else list(output_keys)
        unknown = [k for k in output_keys if k not in self.properties]
        if unknown:
            raise ValueError(
                f"{self.name}: output key {unknown[0]!r} is not a property of the schema "
                f"({', '.join(self.properties)})"
            )
        super().run(storage, **{**keys, "output_keys": output_keys})

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_keys: list[str] | None = None
    ) -> list[Row | Failure]:
        keys = list(output_keys or self.properties)
        prompts = prompts_for(rows, input_key, lambda text: self.user_prompt + text)
        answers = await self.ask(
            prompts,
            system_prompt=self.system_prompt,
            json_schema=self.json_schema,
        )
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append(Failure(f"empty input field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            else:
                out.append(_fill(row, answer, keys))
        return out


def _fill(row: Row, answer: str, keys: list[str]) -> Row | Failure:
    data = parse_json_object(answer)
    if isinstance(data, str):
        return Failure(f"{data}: {answer[:120]!r}")
    missing = [k for k in keys if k not in data]
    if missing:
        return Failure(f"JSON answer lacks {', '.join(map(repr, missing))}: {answer[:120]!r}")
    return {**row, **{k: data[k] for k in keys}}
