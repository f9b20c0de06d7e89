"""CodeInstructionGenerator: new programming instructions in the style of a pool of examples.

**How it streams.** DataFlow reads the whole dataset as its pool, writes ``num_generate`` new
instructions, each from ``num_few_shot`` examples sampled from the pool, and replaces the
dataset with them. Here the pool is each batch: every batch gives ``num_generate`` new rows,
the examples sampled from that batch. Run with a ``batch_size`` at least the dataset's size to
get DataFlow's behaviour exactly (the dataset is then one batch). The sampling is seeded by the
batch's row ids, so a batch's prompts are the same on every run (DataFlow seeds 42 once).
A batch smaller than ``num_few_shot`` uses all its rows as examples (DataFlow refuses to run).

The new rows hold only ``output_key``, as DataFlow's new dataset; they are the children of the
batch's rows, spread over them in turn (the first row's children are new rows 1, 1 + B, ...),
so rows past the ``num_generate``-th of a batch have none. A failed request fails the row whose
child it was to be (its dead letter holds the reason).
"""

from __future__ import annotations

import hashlib
import random

from streamflow.actors.base import RowGenerator
from streamflow.operators.code._base import field_text, resolve_template
from streamflow.operators.code.prompts import CodeInstructionGeneratePrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, current_row_ids
from streamflow.serving.base import LLMServing

__all__ = ["CodeInstructionGenerator"]


class CodeInstructionGenerator(LLMOperator, RowGenerator):
    """Writes ``num_generate`` new instructions per batch to ``output_key`` (see the module), each
    from ``num_few_shot`` examples of ``input_key`` sampled from the batch.

    Difference from DataFlow: DataFlow ignores ``prompt_template`` and always uses
    :class:`CodeInstructionGeneratePrompt`; here a given template (that one, or a DIY template,
    which receives ``few_shot_examples``: a list of ``{"instruction": ...}``) is used.
    """

    ALLOWED_PROMPTS = (CodeInstructionGeneratePrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        prompt_template: CodeInstructionGeneratePrompt | DIYPromptABC | None = None,
        num_few_shot: int = 3,
        num_generate: int = 10,
    ) -> None:
        if num_few_shot < 1 or num_generate < 1:
            raise ValueError("CodeInstructionGenerator: num_few_shot and num_generate must be >= 1")
        self.prompt_template = resolve_template(
            self, prompt_template, CodeInstructionGeneratePrompt
        )
        self.num_few_shot = num_few_shot
        self.num_generate = num_generate
        self._use(llm_serving)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "prompt",
        output_key: str = "generated_instruction",
    ) -> list[list[Row] | Failure]:
        pool = [text for row in rows if (text := field_text(row, input_key)) is not None]
        if not pool:
            return [
                Failure(f"CodeInstructionGenerator: no instruction in {input_key!r} in its batch")
                for _ in rows
            ]
        ids = current_row_ids.get(None) or [str(i) for i in range(len(rows))]
        seed = hashlib.sha256("\n".join(ids).encode()).digest()
        rng = random.Random(seed)
        prompts: list[str | None] = []
        for _ in range(self.num_generate):
            examples = rng.sample(pool, min(self.num_few_shot, len(pool)))
            prompts.append(
                self.prompt_template.build_prompt(
                    few_shot_examples=[{"instruction": e} for e in examples]
                )
            )
        answers = await self.ask(prompts)
        out: list[list[Row] | Failure] = [[] for _ in rows]
        for j, answer in enumerate(answers):
            slot = j % len(rows)
            current = out[slot]
            if isinstance(current, Failure):
                continue
            if isinstance(answer, Failure):
                out[slot] = Failure(f"new instruction {j + 1}: {answer.reason}", answer.transient)
            else:
                current.append({output_key: (answer or "").strip()})
        return out
