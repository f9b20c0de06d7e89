"""CodeInstructionToCodeGenerator on a scripted model, and reading code out of answers."""

from __future__ import annotations

import pytest

from streamflow.operators.code.instruction_to_code_generator import (
    CodeInstructionToCodeGenerator,
    extract_code,
)
from streamflow.testing import ScriptedServing, apply


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("def f():\n    return 1\n", "def f():\n    return 1"),
        ("Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1"),
        ("```\nx = 1\n```\ntext\n```py\ny = 2\n```", "x = 1"),  # the first block only
        ("```python\nz = 3\n", "z = 3"),  # an unclosed fence (answer cut at max_tokens)
    ],
)
def test_extract_code(answer: str, code: str) -> None:
    assert extract_code(answer) == code


def test_writes_the_code_of_each_instruction() -> None:
    serving = ScriptedServing(lambda p: "```python\ndef add(a, b):\n    return a + b\n```")
    op = CodeInstructionToCodeGenerator(serving)
    out = apply(
        op, [{"generated_instruction": "Add two numbers."}, {}], input_key="generated_instruction"
    )
    assert [r["generated_code"] for r in out.batch.rows] == ["def add(a, b):\n    return a + b", ""]
    assert len(serving.prompts) == 1 and "Add two numbers." in serving.prompts[0]
