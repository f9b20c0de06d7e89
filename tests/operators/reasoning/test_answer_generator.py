"""ReasoningAnswerGenerator: one solution per question."""

from __future__ import annotations

import pytest

from streamflow.errors import PromptTemplateError
from streamflow.operators.reasoning.answer_generator import ReasoningAnswerGenerator
from streamflow.operators.reasoning.prompts import (
    DiyAnswerGeneratorPrompt,
    GeneralAnswerGeneratorPrompt,
    MathAnswerGeneratorPrompt,
    MathQuestionFilterPrompt,
)
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply


def solve(prompt: str) -> str:
    if "CRASH" in prompt:
        raise LLMRequestError("context too long")
    return "Solution: → 2 + 2 = 4\n\\boxed{4}"


def test_writes_the_solution_and_skips_empty_questions() -> None:
    serving = ScriptedServing(solve)
    op = ReasoningAnswerGenerator(serving)
    assert isinstance(op.prompt_template, MathAnswerGeneratorPrompt)  # the class default
    rows = [{"instruction": "2+2?"}, {"instruction": " "}, {"instruction": "CRASH"}, {}]
    out = apply(op, rows)
    assert [r.get("generated_cot") for r in out.batch.rows] == [
        "Solution: → 2 + 2 = 4\n\\boxed{4}",
        "",
        "",
    ]
    assert out.failed[0][2] == "context too long"
    assert len(serving.requests) == 2
    assert "Problem: 2+2?" in serving.prompts[0] and "\\boxed{}" in serving.prompts[0]


@pytest.mark.parametrize(
    "template",
    [
        GeneralAnswerGeneratorPrompt(),
        DiyAnswerGeneratorPrompt("Answer: "),
        MathAnswerGeneratorPrompt,
    ],
)
def test_allowed_templates(template) -> None:
    serving = ScriptedServing(solve)
    op = ReasoningAnswerGenerator(serving, prompt_template=template)
    apply(op, [{"q": "why?"}], input_key="q", output_key="a")
    assert "why?" in serving.prompts[0]


def test_rejects_other_templates() -> None:
    with pytest.raises(PromptTemplateError):
        ReasoningAnswerGenerator(ScriptedServing(), prompt_template=MathQuestionFilterPrompt())
