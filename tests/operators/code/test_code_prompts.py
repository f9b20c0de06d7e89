"""The code domain's prompt templates: their fields, and DiyCodePrompt's filling."""

from __future__ import annotations

from streamflow.operators.code.prompts import (
    STANDARD_OPENING,
    CodeCodeToInstructionGeneratorPrompt,
    CodeInstructionEnhancement,
    CodeInstructionGeneratePrompt,
    CodeInstructionToCodeGeneratorPrompt,
    CodeQualityEvaluatorPrompt,
    DiyCodePrompt,
)


def test_fields_and_parsed_markers() -> None:
    assert CodeQualityEvaluatorPrompt().fields == ("instruction", "code")
    review = CodeQualityEvaluatorPrompt().build_prompt(instruction="I", code="C")
    assert "Score:" in review and "Feedback:" in review and "```python\nC\n```" in review
    assert CodeCodeToInstructionGeneratorPrompt().fields == ("code",)
    assert CodeInstructionToCodeGeneratorPrompt().fields == ("instruction",)
    assert STANDARD_OPENING in CodeInstructionEnhancement().build_prompt(instruction="x")
    new = CodeInstructionGeneratePrompt().build_prompt(
        few_shot_examples=[{"instruction": "A"}, {"instruction": "B"}]
    )
    assert "Example 1:\nA" in new and "Example 2:\nB" in new


def test_diy_fills_known_placeholders_and_leaves_others() -> None:
    diy = DiyCodePrompt('Review {code} for {instruction}; {unknown} stays; {"json": 1}')
    assert diy.build_prompt(code="x=1", instruction="task") == (
        'Review x=1 for task; {unknown} stays; {"json": 1}'
    )
