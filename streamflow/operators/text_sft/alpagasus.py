"""AlpaGasus: an LLM judge rates each response from 0 to 5 on one dimension (Chen et al.,
*AlpaGasus: Training a Better Alpaca with Fewer Data*), and the filter keeps the best.

The judge sees the instruction, the input and the response in the system message and is asked
for ``{"score", "explanation"}`` under a schema the serving enforces (score a number from 0 to
5). DataFlow reads the first word of the answer's first line as the score and crashes the run
when it is not a number; here such an answer fails its row, with the answer in the reason.
An unbound or missing input field reads as empty (as DataFlow's ``sample.get``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from streamflow.actors.base import Filter, Operator, SampleEvaluator
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.structured import ask_structured, sampling
from streamflow.operators.text_sft.prompts import AlpagasusPrompt
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range, text_field
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing, Message

__all__ = ["AlpagasusFilter", "AlpagasusRating", "AlpagasusSampleEvaluator"]


JUDGE_TOKENS = 384
"""The least ``max_tokens`` a judgement is asked with (a score and 300 characters)."""


class AlpagasusRating(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[float, msgspec.Meta(ge=0, le=5)]
    explanation: Annotated[str, msgspec.Meta(max_length=300)]


class _AlpagasusJudge(LLMOperator, Operator):
    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (AlpagasusPrompt,)
    prompt_template: Any

    def _judge(
        self, llm_serving: LLMServing | None, dimension: str, template: Any, max_tokens: int | None
    ) -> None:
        self.check_prompt_template(template)
        self._use(llm_serving)
        self.max_tokens = max_tokens
        self.dimension = dimension
        self.prompt_template = template if template is not None else AlpagasusPrompt(dimension)

    async def ratings(
        self, rows: list[Row], instruction_key: str, input_key: str | None, output_key: str
    ) -> list[float | Failure]:
        conversations: list[list[Message] | None] = []
        failures: dict[int, Failure] = {}
        for i, row in enumerate(rows):
            instruction, response = text_field(row, instruction_key), text_field(row, output_key)
            extra = text_field(row, input_key, required=False)
            failed = next((f for f in (instruction, response) if isinstance(f, Failure)), None)
            if failed is not None:
                failures[i] = failed
                conversations.append(None)
                continue
            system = self.prompt_template.build_system_prompt(instruction, extra, response)
            conversations.append(
                [
                    {"role": "system", "content": system},
                    {"role": "user", "content": self.prompt_template.build_prompt()},
                ]
            )
        params = sampling(self.llm_serving, max_tokens=self.max_tokens, at_least=JUDGE_TOKENS)
        rated = await ask_structured(
            self.llm_serving, conversations, AlpagasusRating, params=params
        )
        return [
            failures[i]
            if i in failures
            else (r.score if isinstance(r, AlpagasusRating) else r or Failure("no answer"))
            for i, r in enumerate(rated)
        ]


class AlpagasusSampleEvaluator(_AlpagasusJudge, SampleEvaluator):
    """Writes the judge's 0-5 score of each response into ``output_key``.

    ``prompt_template`` (not a DataFlow parameter; DataFlow always builds ``AlpagasusPrompt``)
    takes a DIY judge prompt with the same two methods; ``max_tokens`` (not in DataFlow)
    overrides the serving's, and a judgement always gets at least 384 tokens.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        dimension: str = "quality",
        *,
        prompt_template: AlpagasusPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._judge(llm_serving, dimension, prompt_template, max_tokens)

    async def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_input_key: str | None = None,
        input_output_key: str = "output",
        output_key: str = "AlpagasusScore",
    ) -> list[Row | Failure]:
        scores = await self.ratings(rows, input_instruction_key, input_input_key, input_output_key)
        return [
            s if isinstance(s, Failure) else {**row, output_key: s}
            for row, s in zip(rows, scores, strict=True)
        ]


class AlpagasusFilter(_AlpagasusJudge, Filter):
    """Keeps rows the judge scores within ``[min_score, max_score]`` (DataFlow: 3 to 5).

    DataFlow's ``run()`` requires the three input keys; here they default to ``instruction``,
    no input field, and ``output``.
    """

    def __init__(
        self,
        min_score: float = 3,
        max_score: float = 5,
        llm_serving: LLMServing | None = None,
        dimension: str = "quality",
        *,
        prompt_template: AlpagasusPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._judge(llm_serving, dimension, prompt_template, max_tokens)
        self.min_score, self.max_score = min_score, max_score

    async def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_input_key: str | None = None,
        input_output_key: str = "output",
        output_key: str = "AlpagasusScore",
    ) -> list[Any]:
        scores = await self.ratings(rows, input_instruction_key, input_input_key, input_output_key)
        return keep_in_range(rows, scores, output_key, self.min_score, self.max_score)
