"""CodeEnhancementInstructionGenerator on a scripted model."""

from __future__ import annotations

from streamflow.operators.code.enhancement_instruction_generator import (
    CodeEnhancementInstructionGenerator,
)
from streamflow.operators.code.prompts import STANDARD_OPENING
from streamflow.testing import ScriptedServing, apply

STANDARD = f'{STANDARD_OPENING}\n```\ndef add(a: int, b: int) -> int:\n    """Sum."""\n```'


def test_rewrites_strings_and_message_lists() -> None:
    serving = ScriptedServing(lambda p: f"\n{STANDARD}\n")
    op = CodeEnhancementInstructionGenerator(serving)
    rows = [
        {"input": "add 2 numbers pls"},
        {"input": [{"role": "user", "content": "sum two ints"}]},
        {"input": None},
    ]
    out = apply(op, rows, input_key="input", output_key="generated_instruction")
    assert [r["generated_instruction"] for r in out.batch.rows] == [STANDARD, STANDARD, ""]
    assert "add 2 numbers pls" in serving.prompts[0] and STANDARD_OPENING in serving.prompts[0]
    assert '"content": "sum two ints"' in serving.prompts[1]
    assert len(serving.prompts) == 2
