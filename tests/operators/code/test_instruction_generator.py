"""CodeInstructionGenerator: new instructions from few-shot examples of each batch."""

from __future__ import annotations

import re

import pytest

from streamflow.operators.code.instruction_generator import CodeInstructionGenerator
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply

POOL = [{"prompt": f"Task {i}: reverse a list of {i} items."} for i in range(6)]


def test_num_generate_rows_per_batch_from_its_examples() -> None:
    serving = ScriptedServing(lambda p: f"New task from {len(re.findall('Example', p))} examples")
    op = CodeInstructionGenerator(serving, num_few_shot=3, num_generate=4)
    out = apply(op, POOL, input_key="prompt", output_key="generated_instruction")
    assert out.batch.rows == [{"generated_instruction": "New task from 3 examples"}] * 4
    assert [i.rsplit("/", 1)[0] for i in out.batch.ids] == ["row:0", "row:1", "row:2", "row:3"]
    for prompt in serving.prompts:
        assert len(set(re.findall(r"Task \d", prompt))) == 3  # three different examples
    again = ScriptedServing(lambda p: "x")
    apply(CodeInstructionGenerator(again, num_few_shot=3, num_generate=4), POOL, input_key="prompt")
    assert again.prompts == serving.prompts  # seeded by the row ids: the same on every run


def test_a_small_batch_lends_all_it_has_and_failures_are_per_slot() -> None:
    def answer(prompt: str) -> str:
        if "Example 2" not in prompt:
            raise LLMRequestError("unexpected")
        return "ok"

    serving = ScriptedServing(answer)
    op = CodeInstructionGenerator(serving, num_few_shot=5, num_generate=3)
    out = apply(op, POOL[:2], input_key="prompt")
    assert len(out.batch.rows) == 3 and not out.failed  # 2 children of row 0, 1 of row 1
    failing = CodeInstructionGenerator(ScriptedServing(answer), num_few_shot=1, num_generate=2)
    out = apply(failing, POOL[:2], input_key="prompt")
    assert [f[2] for f in out.failed] == [
        "new instruction 1: unexpected",
        "new instruction 2: unexpected",
    ]


def test_a_batch_without_instructions_fails_and_bad_counts_are_refused() -> None:
    out = apply(CodeInstructionGenerator(ScriptedServing()), [{"prompt": ""}], input_key="prompt")
    assert "no instruction in 'prompt'" in out.failed[0][2]
    with pytest.raises(ValueError):
        CodeInstructionGenerator(ScriptedServing(), num_generate=0)
