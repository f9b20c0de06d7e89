import pytest
from streamflow.prompts.base import PromptFieldError

from extension_package.prompts import ExtensionPackageSummaryPrompt


def test_builds_a_prompt_from_the_text_field() -> None:
    prompt = ExtensionPackageSummaryPrompt()
    assert prompt.fields == ("text",)
    assert "Rivers flow." in prompt.build_prompt(text="Rivers flow.")


def test_a_missing_field_is_named() -> None:
    with pytest.raises(PromptFieldError, match="ExtensionPackageSummaryPrompt"):
        # build_prompt takes no "title": the call is wrong on purpose
        ExtensionPackageSummaryPrompt().build_prompt(title="no text")  # type: ignore[call-arg]
