"""CompositionTaskFilter: keep composition tasks whose sub-tasks really complete them.

The model analyses the composition task and its sub-tasks and answers ``yes`` or ``no`` in JSON
under a schema the serving enforces (DataFlow looks for ``<ans>yes</ans>`` in free text and
drops the row when the tag is missing). Kept rows get ``output_key`` = 1, as in DataFlow; a
dropped row records the model's analysis. A row missing its task or a sub-task fails.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from streamflow.actors.base import Filter
from streamflow.operators.conversations.base import ConversationOperator, field_text
from streamflow.operators.conversations.prompts import CompositionTaskFilterPrompt
from streamflow.operators.structured import ask_structured
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["CompositionTaskFilter", "CompositionVerdict", "sub_tasks_of"]


class CompositionVerdict(msgspec.Struct, forbid_unknown_fields=True):
    analysis: Annotated[str, msgspec.Meta(max_length=400)]
    answer: Literal["yes", "no"]


def sub_tasks_of(row: Row, keys: list[str] | str) -> dict[str, str] | Failure:
    """The row's sub-tasks, field name -> text, in the order the keys are given."""
    names = [keys] if isinstance(keys, str) else list(keys)
    out: dict[str, str] = {}
    for name in names:
        text = field_text(row, name)
        if isinstance(text, Failure):
            return text
        out[name] = text
    return out


class CompositionTaskFilter(ConversationOperator, Filter):
    """Keeps rows whose sub-tasks (``input_sub_tasks_keys``) complete the composition task."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (CompositionTaskFilterPrompt,)
    answer_tokens = 448

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: CompositionTaskFilterPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, CompositionTaskFilterPrompt(), max_tokens)

    async def process(
        self,
        rows: list[Row],
        input_composition_task_key: str,
        input_sub_tasks_keys: list[str],
        output_key: str = "runable_label",
    ) -> list[Any]:
        prompts: list[str | Failure] = []
        for row in rows:
            task, sub_tasks = (
                field_text(row, input_composition_task_key),
                sub_tasks_of(row, input_sub_tasks_keys),
            )
            failed = task if isinstance(task, Failure) else sub_tasks
            prompts.append(
                failed
                if isinstance(failed, Failure)
                else self._prompt(task=task, sub_tasks=sub_tasks)
            )
        verdicts = await ask_structured(
            self.llm_serving,
            [p if isinstance(p, str) else None for p in prompts],
            CompositionVerdict,
            params=[self._params(i) for i in row_ids()],
        )
        out: list[Any] = []
        for row, prompt, verdict in zip(rows, prompts, verdicts, strict=True):
            if isinstance(prompt, Failure):
                out.append(prompt)
            elif not isinstance(verdict, CompositionVerdict):
                out.append(verdict or Failure("no answer"))
            elif verdict.answer == "yes":
                row[output_key] = 1
                out.append(True)
            else:
                why = " ".join(verdict.analysis.split())[:300]
                out.append((False, f"the sub-tasks do not complete the task: {why}"))
        return out
