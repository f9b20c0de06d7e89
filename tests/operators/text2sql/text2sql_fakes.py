"""A fake LLM for operators that ask for k samples, and answer helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams, Usage


class SampledServing(LLMServing):
    """``answer(prompt, n)`` gives the ``n`` samples of one request."""

    model = "sampled"

    def __init__(self, answer: Callable[[str, int], list[str]]) -> None:
        super().__init__(max_in_flight=64)
        self.answer = answer
        self.requests: list[tuple[list[Message], SamplingParams]] = []

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        self.requests.append((messages, params))
        texts = self.answer(str(messages[-1]["content"]), params.n)
        assert len(texts) == params.n, "a fake answer must give one text per sample"
        return Completion(list(texts), Usage(3, 2))

    @property
    def prompts(self) -> list[str]:
        return [str(m[-1]["content"]) for m, _ in self.requests]


def sql_answer(sql: str) -> str:
    return f"Let me think.\n```sql\n{sql}\n```"
