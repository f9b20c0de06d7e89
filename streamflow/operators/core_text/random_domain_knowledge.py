"""RandomDomainKnowledgeRowGenerator: new supervised fine-tuning samples from nothing.

Each input row is a seed (see :mod:`streamflow.io.seeds`: a pipeline whose storage has no input
file gets ``generation_num`` seed rows from this operator). For each seed the model writes one
sample in one of ``domain_keys`` (:class:`SFTFromScratchGeneratorPrompt`: one line of JSON with
instruction, input, output and domain), written as text into ``output_key`` as DataFlow does.
Each request is sampled with a seed derived from its row id at ``temperature`` (default 1.0):
the same prompt at temperature 0 would give the same sample for every row (DataFlow relies on
the serving's sampling settings), and a rerun asks exactly the same things.

Differences from DataFlow: DataFlow fills a column of the input frame with ``generation_num``
answers (the frame must have that many rows); here one answer per input row, and
``generation_num`` sets the number of seed rows. A failed request fails its row.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Generator
from streamflow.operators.core_text.bench_prompts import SFTFromScratchGeneratorPrompt
from streamflow.operators.llm import LLMOperator
from streamflow.operators.structured import ask_texts, row_seed, sampling
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row, row_ids
from streamflow.serving.base import LLMServing

__all__ = ["RandomDomainKnowledgeRowGenerator"]


class RandomDomainKnowledgeRowGenerator(LLMOperator, Generator):
    """Writes one generated SFT sample (JSON text) per seed row into ``output_key``."""

    ALLOWED_PROMPTS = (SFTFromScratchGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        generation_num: int = 1,
        domain_keys: str = "",
        prompt_template: SFTFromScratchGeneratorPrompt | DIYPromptABC | None = None,
        *,
        temperature: float | None = 1.0,
        seed: int = 0,
    ) -> None:
        if generation_num < 1:
            raise ValueError(f"{self.name}: generation_num must be >= 1, got {generation_num}")
        if not domain_keys.strip():
            raise ValueError(f"{self.name}: domain_keys must name at least one domain")
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.generation_num = generation_num
        self.domain_keys = domain_keys
        self.prompt_template = prompt_template or SFTFromScratchGeneratorPrompt()
        self.temperature = temperature
        self.seed = seed

    @property
    def seed_rows(self) -> int:
        """How many seed rows a pipeline without an input file gets: ``generation_num``."""
        return self.generation_num

    async def process(
        self, rows: list[Row], output_key: str = "generated_content"
    ) -> list[Row | Failure]:
        prompt: Any = self.prompt_template.build_prompt(domain_keys=self.domain_keys)
        params = [
            sampling(self.llm_serving, temperature=self.temperature, seed=row_seed(i, self.seed))
            for i in row_ids()
        ]
        answers = await ask_texts(self.llm_serving, [prompt] * len(rows), params=params)
        out: list[Row | Failure] = []
        for row, answer in zip(rows, answers, strict=True):
            if isinstance(answer, Failure):
                out.append(answer)
            else:
                out.append({**row, output_key: answer or ""})
        return out
