"""MetaSampleEvaluator: an LLM rates a text on several quality dimensions at once.

DataFlow's six default dimensions (text structure, diversity and complexity, fluency, safety,
educational value, accuracy) or the caller's, each with a description and scored examples, go
into the system prompt (:class:`MetaPrompt`); the model writes an assessment and ends with a
line holding one 1-to-5 score per dimension as a list. Each score is written to the field named
after its dimension (``"Text Structure"``, ...), as DataFlow does.

An answer whose last list does not hold one number per dimension fails the row with the answer
(DataFlow writes NaN for every dimension).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.llm import LLMOperator, prompts_for
from streamflow.operators.text_pt.prompts import DEFAULT_DIMENSIONS, MetaPrompt, check_dimensions
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["MetaSampleEvaluator", "parse_score_list"]

_LIST = re.compile(r"\[[^\[\]]*\]")


def parse_score_list(answer: str, count: int) -> list[float] | str:
    """The last ``[...]`` list of ``count`` numbers in ``answer``, or why there is none."""
    found = _LIST.findall(answer)
    if not found:
        return "no score list in the answer"
    try:
        values = ast.literal_eval(found[-1])
    except (ValueError, SyntaxError):
        return f"the score list {found[-1]!r} is not a list of numbers"
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values) or len(numbers) != count:
        return f"the score list {found[-1]!r} does not hold {count} numbers"
    return [float(v) for v in numbers]


class MetaSampleEvaluator(LLMOperator, SampleEvaluator):
    """Writes one score per dimension, under the dimension's name (see the module docstring).

    ``prompt_template`` (not in DataFlow's constructor) takes a :class:`MetaPrompt` or a
    DIY template with ``build_system_prompt()`` and ``build_prompt(text)``.
    """

    ALLOWED_PROMPTS = (MetaPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        dimensions: list[dict[str, Any]] | None = None,
        prompt_template: MetaPrompt | DIYPromptABC | None = None,
    ) -> None:
        self.dimensions = list(dimensions if dimensions is not None else DEFAULT_DIMENSIONS)
        check_dimensions(self.name, self.dimensions)
        self.check_prompt_template(prompt_template)
        self.prompt_template = prompt_template or MetaPrompt(self.dimensions)
        self.output_columns = [item["dimension_name"] for item in self.dimensions]
        self._use(llm_serving)

    async def process(self, rows: list[Row], input_key: str = "raw_content") -> list[Row | Failure]:
        template: Any = self.prompt_template
        prompts = prompts_for(rows, input_key, lambda text: template.build_prompt(text=text))
        answers = await self.ask(prompts, system_prompt=template.build_system_prompt())
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append(Failure(f"empty or missing field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            else:
                scores = parse_score_list(answer, len(self.output_columns))
                if isinstance(scores, str):
                    out.append(Failure(f"{scores}: {answer[-160:]!r}"))
                else:
                    out.append({**row, **dict(zip(self.output_columns, scores, strict=True))})
        return out
