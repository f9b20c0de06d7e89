"""``prompt_restrict``: DataFlow's decorator for a custom operator's allowed templates."""

from __future__ import annotations

import pytest

from streamflow import PromptTemplateError, Refiner
from streamflow.core import DIYPromptABC, PromptABC, prompt_restrict


class Allowed(PromptABC):
    def build_prompt(self, text: str) -> str:
        return text


class Other(PromptABC):
    def build_prompt(self, text: str) -> str:
        return text


class Mine(DIYPromptABC):
    def build_prompt(self, text: str) -> str:
        return text


@prompt_restrict(Allowed)
class Rewriter(Refiner):
    def __init__(self, llm_serving=None, prompt_template=None):
        self.prompt_template = prompt_template or Allowed()

    def process(self, rows, input_key: str = "text"):
        return rows


def test_only_listed_or_diy_templates_are_accepted() -> None:
    assert list(Rewriter.ALLOWED_PROMPTS) == [Allowed]
    Rewriter(prompt_template=Allowed())
    Rewriter(None, Mine())  # a DIY template is always allowed, given by position too
    Rewriter()
    with pytest.raises(PromptTemplateError, match="Rewriter does not allow prompt template Other"):
        Rewriter(prompt_template=Other())
    with pytest.raises(PromptTemplateError, match="Other"):
        Rewriter(None, Other())
