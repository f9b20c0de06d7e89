"""CodeCodeToInstructionGenerator on a scripted model."""

from __future__ import annotations

import pytest

from streamflow.errors import PromptTemplateError
from streamflow.operators.code.code_to_instruction_generator import CodeCodeToInstructionGenerator
from streamflow.operators.code.prompts import CodeQualityEvaluatorPrompt, DiyCodePrompt
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply


def describe(prompt: str) -> str:
    if "BOOM" in prompt:
        raise LLMRequestError("server said 400")
    return "  Write a function that adds two numbers.\n"


def test_one_instruction_per_code_and_no_request_for_empty_code() -> None:
    serving = ScriptedServing(describe)
    op = CodeCodeToInstructionGenerator(serving)
    rows = [
        {"raw_code": "def add(a, b):\n    return a + b"},
        {"raw_code": ""},
        {"raw_code": "BOOM"},
    ]
    out = apply(op, rows, input_key="raw_code", output_key="generated_instruction")
    assert [r["generated_instruction"] for r in out.batch.rows] == [
        "Write a function that adds two numbers.",
        "",
    ]
    assert out.failed[0][2] == "server said 400"
    assert len(serving.prompts) == 2 and "def add(a, b):" in serving.prompts[0]


def test_string_templates_become_diy_and_others_are_refused() -> None:
    serving = ScriptedServing(describe)
    op = CodeCodeToInstructionGenerator(serving, prompt_template="Explain {code} briefly.")
    assert isinstance(op.prompt_template, DiyCodePrompt)
    apply(op, [{"code": "x = 1"}])
    assert serving.prompts == ["Explain x = 1 briefly."]
    with pytest.raises(PromptTemplateError):
        CodeCodeToInstructionGenerator(serving, prompt_template=CodeQualityEvaluatorPrompt())
