"""PromptedEvaluator: a model's quality score of each row.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.llm import (
    DEFAULT_JUDGE_PROMPT,
    LLMOperator,
    no_score,
    parse_score,
    prompts_for,
    with_answer,
)
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["PromptedEvaluator"]


class PromptedEvaluator(LLMOperator, SampleEvaluator):
    """Writes the model's quality score of the input field into ``output_key``.

    The score is parsed robustly (see :func:`parse_score`) and must lie in ``score_range``
    (DataFlow's fixed 1..5 by default); an answer without one fails the row, with the answer
    in the reason.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_JUDGE_PROMPT,
        score_range: tuple[float, float] = (1, 5),
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.score_range = score_range

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "eval"
    ) -> list[Row | Failure]:
        ask = "Reply with the score only."
        prompts = prompts_for(
            rows, input_key, lambda text: f"{self.system_prompt}\n\n{text}\n\n{ask}"
        )
        answers = await self.ask(prompts)
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append(Failure(f"empty input field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            else:
                found = parse_score(answer, *self.score_range)
                out.append(
                    with_answer(row, output_key, found[0])
                    if found
                    else no_score(answer, self.score_range)
                )
        return out
