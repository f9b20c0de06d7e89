"""What the conversations operators share: a serving, a prompt template, sampling settings.

Each operator keeps DataFlow's constructor (``llm_serving``; ConsistentChat's own parameters)
and adds, keyword-only, ``prompt_template`` (a template of the allowed class or a DIY one) and
``max_tokens`` (``None``: the serving's). Requests are seeded from the row id, so a sampled
answer can be asked for again exactly.
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Operator
from streamflow.operators.llm import LLMOperator as LLMOperator
from streamflow.operators.structured import row_seed, sampling
from streamflow.prompts.base import PromptFieldError, as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing, SamplingParams

__all__ = ["ConversationOperator", "field_text"]


class ConversationOperator(LLMOperator, Operator):
    """Mixin base: ``self.llm_serving``, ``self.prompt_template``, per-row sampling."""

    prompt_template: Any
    max_tokens: int | None
    temperature: float | None = None
    answer_tokens: ClassVar[int | None] = None
    """The most tokens the operator's JSON answer takes (its schema's bounds, about a token per
    character): a floor under ``max_tokens``, so a JSON answer is never cut off for want of room."""

    def _setup(
        self,
        llm_serving: LLMServing | None,
        prompt_template: Any,
        default_template: Any,
        max_tokens: int | None,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.prompt_template = prompt_template if prompt_template is not None else default_template
        self.max_tokens = max_tokens

    def _params(self, row_id: str, part: str = "", at_least: int | None = None) -> SamplingParams:
        return sampling(
            self.llm_serving,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=row_seed(type(self).__name__, row_id, part),
            at_least=at_least if at_least is not None else self.answer_tokens,
        )

    def _prompt(self, **fields: Any) -> str | Failure:
        try:
            return str(self.prompt_template.build_prompt(**fields))
        except PromptFieldError as exc:
            return Failure(str(exc))


def field_text(row: Row, key: str) -> str | Failure:
    """A row's field as prompt text; missing or blank fails the row, naming the field."""
    value = row.get(key)
    if value is None or (isinstance(value, str | list | dict) and not value):
        return Failure(f"empty or missing field {key!r}")
    text = as_text(value)
    return text if text.strip() else Failure(f"empty or missing field {key!r}")
