"""PromptedFilter: an LLM judge that keeps rows scored in a range.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from streamflow.actors.base import Filter
from streamflow.operators.llm import (
    DEFAULT_JUDGE_PROMPT,
    LLMOperator,
    no_score,
    parse_score,
    prompts_for,
)
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["PromptedFilter"]


class PromptedFilter(LLMOperator, Filter):
    """An LLM judge: keeps rows whose score lies in ``[min_score, max_score]``.

    The model is asked for a score and a one-sentence reason; a dropped row records both. The
    score is written to ``output_key`` of the rows kept. An answer without a score fails the
    row (DataFlow scores it 0, which its default range then drops silently).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_JUDGE_PROMPT,
        min_score: float = 1,
        max_score: float = 5,
        score_range: tuple[float, float] = (1, 5),
    ) -> None:
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.min_score = min_score
        self.max_score = max_score
        self.score_range = score_range

    async def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "eval"
    ) -> list[bool | tuple[bool, str] | Failure]:
        ask = "Reply with the score first, then one short sentence giving your reason."
        prompts = prompts_for(
            rows, input_key, lambda text: f"{self.system_prompt}\n\n{text}\n\n{ask}"
        )
        answers = await self.ask(prompts)
        out: list[bool | tuple[bool, str] | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if answer is None:
                out.append((False, f"empty input field {input_key!r}"))
            elif isinstance(answer, Failure):
                out.append(answer)
            elif (found := parse_score(answer, *self.score_range)) is None:
                out.append(no_score(answer, self.score_range))
            else:
                score, reason = found
                row[output_key] = score
                keep = self.min_score <= score <= self.max_score
                why = f"score {score} outside [{self.min_score}, {self.max_score}]"
                out.append(True if keep else (False, f"{why}: {reason}" if reason else why))
        return out
