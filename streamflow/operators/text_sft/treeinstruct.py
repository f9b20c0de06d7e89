"""Tree-Instruct complexity: the number of nodes in an instruction's semantic tree, counted by
an LLM (after Zhao et al., *Tree-Instruct*); the filter keeps instructions in a complexity band.

The model is asked for ``{"tree", "node_count"}`` under a schema the serving enforces (a whole
number from 1 to 1000), so it describes the tree before it counts. DataFlow reads the number from
the answer's last line and crashes the run when there is none; here such an answer fails its
row, with the answer in the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from streamflow.actors.base import Filter, Operator, SampleEvaluator
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.structured import ask_structured, sampling
from streamflow.operators.text_sft.prompts import TreeinstructPrompt
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range, text_field
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing, Message

__all__ = ["TreeNodeCount", "TreeinstructFilter", "TreeinstructSampleEvaluator"]


COUNT_TOKENS = 384
"""The least ``max_tokens`` a count is asked with (300 characters of tree and a number)."""


class TreeNodeCount(msgspec.Struct, forbid_unknown_fields=True):
    tree: Annotated[str, msgspec.Meta(max_length=300)]
    node_count: Annotated[int, msgspec.Meta(ge=1, le=1000)]


class _TreeCounter(LLMOperator, Operator):
    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (TreeinstructPrompt,)
    prompt_template: Any

    def _counter(
        self, llm_serving: LLMServing | None, template: Any, max_tokens: int | None
    ) -> None:
        self.check_prompt_template(template)
        self._use(llm_serving)
        self.max_tokens = max_tokens
        self.prompt_template = template if template is not None else TreeinstructPrompt()

    async def node_counts(self, rows: list[Row], instruction_key: str) -> list[int | Failure]:
        instructions = [text_field(row, instruction_key) for row in rows]
        conversations: list[list[Message] | None] = [
            None
            if isinstance(text, Failure)
            else [
                {"role": "system", "content": self.prompt_template.build_system_prompt(text)},
                {"role": "user", "content": self.prompt_template.build_prompt()},
            ]
            for text in instructions
        ]
        params = sampling(self.llm_serving, max_tokens=self.max_tokens, at_least=COUNT_TOKENS)
        counted = await ask_structured(
            self.llm_serving, conversations, TreeNodeCount, params=params
        )
        out: list[int | Failure] = []
        for text, count in zip(instructions, counted, strict=True):
            if isinstance(text, Failure):
                out.append(text)
            elif isinstance(count, TreeNodeCount):
                out.append(count.node_count)
            else:
                out.append(count or Failure("no answer"))
        return out


class TreeinstructSampleEvaluator(_TreeCounter, SampleEvaluator):
    """Writes the node count of each instruction's semantic tree into ``output_key``.

    ``prompt_template`` (not a DataFlow parameter) takes a DIY prompt with the same methods;
    ``max_tokens`` (not in DataFlow) overrides the serving's; a count always gets at least 384
    tokens.
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: TreeinstructPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._counter(llm_serving, prompt_template, max_tokens)

    async def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        output_key: str = "TreeinstructScore",
    ) -> list[Row | Failure]:
        counts = await self.node_counts(rows, input_instruction_key)
        return [
            c if isinstance(c, Failure) else {**row, output_key: c}
            for row, c in zip(rows, counts, strict=True)
        ]


class TreeinstructFilter(_TreeCounter, Filter):
    """Keeps instructions whose tree has ``min_score`` (7) to ``max_score`` (100) nodes.

    Binds the instruction with ``input_key``, as DataFlow's filter does.
    """

    def __init__(
        self,
        min_score: int = 7,
        max_score: int = 100,
        llm_serving: LLMServing | None = None,
        *,
        prompt_template: TreeinstructPrompt | DIYPromptABC | None = None,
        max_tokens: int | None = None,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._counter(llm_serving, prompt_template, max_tokens)
        self.min_score, self.max_score = min_score, max_score

    async def process(
        self, rows: list[Row], input_key: str = "instruction", output_key: str = "TreeinstructScore"
    ) -> list[Any]:
        counts = await self.node_counts(rows, input_key)
        return keep_in_range(rows, counts, output_key, self.min_score, self.max_score)
