"""ExtractSmilesFromTextGenerator: molecules named in a text, as abbreviation, name and SMILES."""

from __future__ import annotations

import json
import re
from typing import Any

from streamflow.actors.base import Generator
from streamflow.operators.chemistry.prompts import ExtractSmilesFromTextPrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ExtractSmilesFromTextGenerator", "parse_json_list"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.I)


class ExtractSmilesFromTextGenerator(LLMOperator, Generator):
    """Writes ``[{abbreviation, full_name, smiles}, ...]`` extracted by the LLM from the text.

    ``input_abbreviation_key`` names the molecules to look for (DataFlow's
    ``abbreviations``). The answer is parsed leniently (code fences, text around the JSON);
    an answer with no JSON array or object in it fails the row (DataFlow writes ``[]``).
    """

    ALLOWED_PROMPTS = (ExtractSmilesFromTextPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: ExtractSmilesFromTextPrompt | DIYPromptABC | None = None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.prompt_template: Any = prompt_template or ExtractSmilesFromTextPrompt()

    async def process(
        self,
        rows: list[Row],
        input_content_key: str = "text",
        input_abbreviation_key: str = "abbreviations",
        output_key: str = "synth_smiles",
    ) -> list[Row | Failure]:
        prompts = [
            self.prompt_template.build_prompt(row.get(input_abbreviation_key) or "")
            + str(row.get(input_content_key) or "")
            for row in rows
        ]
        answers = await self.ask(prompts)
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if isinstance(answer, Failure) or answer is None:
                out.append(answer or Failure("no answer"))
                continue
            parsed = parse_json_list(answer)
            out.append(
                {**row, output_key: parsed} if not isinstance(parsed, str) else Failure(parsed)
            )
        return out


def parse_json_list(text: str) -> list[Any] | str:
    """The JSON array (or single object, as a one-item list) in an answer, or why there is none."""
    stripped = _FENCE.sub("", text.strip())
    start = min((i for i in (stripped.find("["), stripped.find("{")) if i >= 0), default=-1)
    end = max(stripped.rfind("]"), stripped.rfind("}"))
    if start < 0 or end < start:
        return f"no JSON in the answer: {text[:120]!r}"
    try:
        data = json.loads(stripped[start : end + 1])
    except ValueError as exc:
        return f"invalid JSON ({exc}): {text[:120]!r}"
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return f"JSON answer is not a list: {text[:120]!r}"
    return data
