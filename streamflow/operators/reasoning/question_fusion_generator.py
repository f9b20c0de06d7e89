"""ReasoningQuestionFusionGenerator: one new problem from two (MathFusion)."""

from __future__ import annotations

import re
from typing import Any

from streamflow.actors.base import Generator
from streamflow.operators.reasoning._base import (
    LLMOperator,
    field_text,
    resolve_template,
)
from streamflow.operators.reasoning.prompts import (
    MathQuestionConditionFusionGeneratorPrompt,
    MathQuestionParallelFusionGeneratorPrompt,
    MathQuestionSequentialFusionGeneratorPrompt,
    system_prompt_of,
)
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["ReasoningQuestionFusionGenerator", "new_problem_of"]

_NEW_PROBLEM = re.compile(r"#New Problem#[:\s]*(.*)", re.S)


def new_problem_of(reply: object) -> str | None:
    """The problem after a fusion reply's ``#New Problem#`` heading, or ``None``."""
    if not isinstance(reply, str):
        return None
    found = _NEW_PROBLEM.search(reply)
    problem = found.group(1).strip() if found else ""
    return problem or None


class ReasoningQuestionFusionGenerator(LLMOperator, Generator):
    """Fuses the problems in ``input_problem_1`` and ``input_problem_2`` into new ones.

    As in DataFlow, reply ``i`` (of ``num_prompts``) goes to ``{output_key}_question_{i}``, the
    whole reply, with the new problem after its ``#New Problem#`` heading (see
    :func:`new_problem_of`); the template decides how the two are fused (sequential,
    parallel, conditional). The ``num_prompts`` replies are sampled in one request
    (``SamplingParams(n=num_prompts)``; give the serving a temperature above 0 for distinct
    ones). Also writes ``output_key`` itself: the list of the new problems found in the
    replies, so that the plan knows a field of that name (DataFlow writes nothing there).
    A row with either problem empty gets empty fields and no request.

    DataFlow builds each prompt from ``enumerate(zip(...))``, so its prompts hold the row index
    and a pair instead of the two problems; here they hold the two problems.
    """

    ALLOWED_PROMPTS = (
        MathQuestionParallelFusionGeneratorPrompt,
        MathQuestionSequentialFusionGeneratorPrompt,
        MathQuestionConditionFusionGeneratorPrompt,
    )

    def __init__(
        self,
        num_prompts: int = 1,
        llm_serving: LLMServing | None = None,
        prompt_template: (
            MathQuestionParallelFusionGeneratorPrompt
            | MathQuestionSequentialFusionGeneratorPrompt
            | MathQuestionConditionFusionGeneratorPrompt
            | DIYPromptABC
            | None
        ) = None,
    ) -> None:
        if num_prompts < 1:
            raise ValueError(
                f"ReasoningQuestionFusionGenerator: num_prompts must be >= 1, got {num_prompts}"
            )
        self.num_prompts = num_prompts
        self.prompt_template = resolve_template(
            self, prompt_template, MathQuestionParallelFusionGeneratorPrompt
        )
        self._use(llm_serving)

    def run(self, storage: Any, **keys: Any) -> None:
        """Bind the numbered output fields too, so that compile() sees every field written."""
        output_key = keys.get("output_key")
        if output_key is not None:
            keys["output_question_keys"] = [
                f"{output_key}_question_{i}" for i in range(self.num_prompts)
            ]
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_problem_1: str,
        input_problem_2: str,
        output_key: str,
        output_question_keys: list[str] | None = None,
    ) -> list[Row | Failure]:
        keys = output_question_keys or [
            f"{output_key}_question_{i}" for i in range(self.num_prompts)
        ]
        prompts = []
        for row in rows:
            first, second = field_text(row, input_problem_1), field_text(row, input_problem_2)
            prompts.append(
                None
                if first is None or second is None
                else self.prompt_template.build_prompt(
                    input_question_1=first, input_question_2=second
                )
            )
        replies = await self.ask_samples(
            prompts,
            self.num_prompts,
            system_prompt=system_prompt_of(self.prompt_template),
        )
        out: list[Row | Failure] = []
        for row, reply in zip(rows, replies, strict=True):
            if isinstance(reply, Failure):
                out.append(reply)
                continue
            texts = reply or [""] * self.num_prompts
            problems = [p for p in map(new_problem_of, texts) if p]
            out.append({**row, **dict(zip(keys, texts, strict=True)), output_key: problems})
        return out
