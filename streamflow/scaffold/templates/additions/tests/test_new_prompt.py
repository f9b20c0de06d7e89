import pytest

from added_package.prompts import NewPrompt


def test_new_prompt() -> None:
    prompt = NewPrompt()
    assert "some text" in prompt.build_prompt(text="some text")
    pytest.fail("implement NewPrompt and replace this test")
