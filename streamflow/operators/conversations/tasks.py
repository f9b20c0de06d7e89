"""Tasks for function-call synthesis, built bottom-up: an atomic task from a scenario, then a
sequential or a parallel-then-sequential composition of it.

The atomic task is one line of free text. The compositions come back as JSON under a schema the
serving enforces (DataFlow parses ``### Subsequent Task: ...`` lines and writes ``None`` where
they are missing, and its parallel generator then crashes); an answer that does not fit fails
the row with the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from streamflow.actors.base import Generator
from streamflow.operators.conversations.base import ConversationOperator, field_text
from streamflow.operators.conversations.prompts import (
    FuncAtomicTaskGeneratePrompt,
    ParathenSeqTaskGeneratePrompt,
    SequentialTaskGeneratePrompt,
)
from streamflow.operators.conversations.scenario import _OnePromptGenerator
from streamflow.operators.structured import ask_structured
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = [
    "AtomTaskGenerator",
    "ParaSeqTaskGenerator",
    "ParallelSequentialTasks",
    "SequentialTaskGenerator",
    "SequentialTasks",
]

Task = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SequentialTasks(msgspec.Struct, forbid_unknown_fields=True):
    subsequent_task: Task
    composition_task: Task


class ParallelSequentialTasks(msgspec.Struct, forbid_unknown_fields=True):
    parallel_task: Task
    subsequent_task: Task
    composition_task: Task


class AtomTaskGenerator(_OnePromptGenerator):
    """Writes a task that one function call completes, set in each row's scenario."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (FuncAtomicTaskGeneratePrompt,)
    template_field = "scenario"

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: FuncAtomicTaskGeneratePrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, FuncAtomicTaskGeneratePrompt(), max_tokens)

    async def process(
        self, rows: list[Row], input_scenario_key: str, output_key: str = "atom_task"
    ) -> Any:
        return await self._generate(rows, input_scenario_key, output_key)


class _Composer(ConversationOperator, Generator):
    shape: ClassVar[type[msgspec.Struct]]

    async def _compose(
        self, rows: list[Row], input_task_key: str, keys: dict[str, str]
    ) -> list[Row | Failure]:
        tasks = [field_text(row, input_task_key) for row in rows]
        prompts = [t if isinstance(t, Failure) else self._prompt(task=t) for t in tasks]
        answers = await ask_structured(
            self.llm_serving,
            [p if isinstance(p, str) else None for p in prompts],
            self.shape,
            params=[self._params(i) for i in row_ids()],
        )
        out: list[Row | Failure] = []
        for row, prompt, answer in zip(rows, prompts, answers, strict=True):
            if isinstance(prompt, Failure):
                out.append(prompt)
            elif isinstance(answer, Failure) or answer is None:
                out.append(answer or Failure("no answer"))
            else:
                out.append(
                    {**row, **{key: getattr(answer, name).strip() for name, key in keys.items()}}
                )
        return out


class SequentialTaskGenerator(_Composer):
    """Writes a subsequent task that needs each row's task's result, and their composition."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (SequentialTaskGeneratePrompt,)
    shape = SequentialTasks
    answer_tokens = 448

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: SequentialTaskGeneratePrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, SequentialTaskGeneratePrompt(), max_tokens)

    async def process(
        self,
        rows: list[Row],
        input_task_key: str,
        output_subsequent_task_key: str = "subsequent_task",
        output_composition_task_key: str = "composition_task",
    ) -> Any:
        keys = {
            "subsequent_task": output_subsequent_task_key,
            "composition_task": output_composition_task_key,
        }
        return await self._compose(rows, input_task_key, keys)


class ParaSeqTaskGenerator(_Composer):
    """Writes a parallel task, a subsequent task needing both results, and their composition."""

    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (ParathenSeqTaskGeneratePrompt,)
    shape = ParallelSequentialTasks
    answer_tokens = 672

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: ParathenSeqTaskGeneratePrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._setup(llm_serving, prompt_template, ParathenSeqTaskGeneratePrompt(), max_tokens)

    async def process(
        self,
        rows: list[Row],
        input_task_key: str,
        output_parallel_task_key: str = "parallel_task",
        output_subsequent_task_key: str = "subsequent_task",
        output_composition_task_key: str = "composition_task",
    ) -> Any:
        keys = {
            "parallel_task": output_parallel_task_key,
            "subsequent_task": output_subsequent_task_key,
            "composition_task": output_composition_task_key,
        }
        return await self._compose(rows, input_task_key, keys)
