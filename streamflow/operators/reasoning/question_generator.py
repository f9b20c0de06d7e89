"""ReasoningQuestionGenerator: new questions from each seed question (a row generator)."""

from __future__ import annotations

import random
from typing import Any

from streamflow.actors.base import RowGenerator
from streamflow.operators.reasoning._base import (
    LLMOperator,
    field_text,
    resolve_template,
    strip_thinking,
)
from streamflow.operators.reasoning.prompts import (
    DiyQuestionSynthesisPrompt,
    GeneralQuestionSynthesisPrompt,
    MathQuestionSynthesisPrompt,
)
from streamflow.prompts.base import DIYPromptABC, PromptTemplate
from streamflow.rows import Failure, Row, current_row_ids
from streamflow.serving.base import LLMServing

__all__ = ["TRANSFORMATION_SETS", "ReasoningQuestionGenerator"]

TRANSFORMATION_SETS = ("1, 2, 3", "1, 2, 4", "1, 2, 5", "1, 4, 5", "1, 2, 3, 4, 5")
"""DataFlow's five combinations of the synthesis prompt's transformations; each new question
of a seed uses a different one."""


class ReasoningQuestionGenerator(LLMOperator, RowGenerator):
    """Makes ``num_prompts`` (0 to 5) new questions from each seed question.

    Each seed row leaves first, flagged ``"input"`` in ``output_synth_or_input_flag``, followed
    by its new questions, flagged ``"synth"``: rows holding only the question (under
    ``input_key``) and the flag, as in DataFlow, whose new rows have no other columns. Each new
    question uses a different set of transformations (:data:`TRANSFORMATION_SETS`), drawn with
    a generator seeded by the row's id, so a re-run asks the same prompts (DataFlow draws
    them at random). A DIY template gets only ``question``. A reasoning model's ``<think>``
    part is removed; an empty new question is left out. A seed whose question is empty
    passes through without new ones; if a request fails, the seed row fails (a dead letter,
    retried by ``--requeue``) rather than losing a question silently.

    Differences from DataFlow: ``num_prompts`` outside 0..5 is an error (DataFlow logs it);
    seed and new rows stream out together instead of the new ones being appended at the end.
    """

    ALLOWED_PROMPTS = (
        MathQuestionSynthesisPrompt,
        GeneralQuestionSynthesisPrompt,
        DiyQuestionSynthesisPrompt,
    )

    def __init__(
        self,
        num_prompts: int = 1,
        llm_serving: LLMServing | None = None,
        prompt_template: (
            MathQuestionSynthesisPrompt
            | GeneralQuestionSynthesisPrompt
            | DiyQuestionSynthesisPrompt
            | DIYPromptABC
            | None
        ) = None,
    ) -> None:
        if not 0 <= num_prompts <= len(TRANSFORMATION_SETS):
            raise ValueError(
                f"ReasoningQuestionGenerator: num_prompts must be between 0 and "
                f"{len(TRANSFORMATION_SETS)}, got {num_prompts}"
            )
        self.num_prompts = num_prompts
        self.prompt_template = resolve_template(self, prompt_template, MathQuestionSynthesisPrompt)
        self._use(llm_serving)

    def prompts_for(self, question: str, row_id: str) -> list[str]:
        """The synthesis prompts of one seed (deterministic for a given row id)."""
        template: PromptTemplate = self.prompt_template
        if "items" not in template.fields:
            return [template.build_prompt(question=question)] * self.num_prompts
        chosen = random.Random(row_id).sample(TRANSFORMATION_SETS, self.num_prompts)
        return [template.build_prompt(items=items, question=question) for items in chosen]

    async def process(
        self, rows: list[Row], input_key: str, output_synth_or_input_flag: str = "Synth_or_Input"
    ) -> list[list[Row] | Failure]:
        ids = current_row_ids.get() or [str(i) for i in range(len(rows))]
        per_row: list[list[str]] = []
        for row, row_id in zip(rows, ids, strict=True):
            question = field_text(row, input_key)
            per_row.append(self.prompts_for(question, row_id) if question is not None else [])
        answers = iter(await self.ask([p for ps in per_row for p in ps]))
        out: list[list[Row] | Failure] = []
        for row, prompts in zip(rows, per_row, strict=True):
            replies = [next(answers) for _ in prompts]
            failed = next((r for r in replies if isinstance(r, Failure)), None)
            if failed is not None:
                out.append(Failure(f"question synthesis: {failed.reason}", failed.transient))
                continue
            seed: dict[str, Any] = {**row, output_synth_or_input_flag: "input"}
            new = [strip_thinking(str(r)) for r in replies]
            out.append(
                [seed]
                + [{input_key: q, output_synth_or_input_flag: "synth"} for q in new if q.strip()]
            )
        return out
