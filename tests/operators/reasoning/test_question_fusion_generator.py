"""ReasoningQuestionFusionGenerator: two problems fused into new ones, n replies in one request."""

from __future__ import annotations

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import CompileError
from streamflow.operators.reasoning.prompts import (
    MathQuestionConditionFusionGeneratorPrompt,
    MathQuestionSequentialFusionGeneratorPrompt,
)
from streamflow.operators.reasoning.question_fusion_generator import (
    ReasoningQuestionFusionGenerator,
    new_problem_of,
)
from streamflow.serving.base import SamplingParams
from streamflow.testing import ScriptedServing, apply


def fuse(prompt: str) -> list[str]:
    first = prompt.split("#Problem 1#\n")[1].split("\n")[0]
    second = prompt.split("#Problem 2#\n")[1].split("\n")[0]
    return [
        f"#Analysis#: ...\n#New Question#: which?\n#New Problem#: {first} then {second} (v1)",
        "#Analysis#: I could not do it",
    ]


def test_replies_go_to_numbered_fields_and_new_problems_to_output_key() -> None:
    serving = ScriptedServing(fuse, params=SamplingParams(temperature=0.7))
    op = ReasoningQuestionFusionGenerator(
        num_prompts=2,
        llm_serving=serving,
        prompt_template=MathQuestionConditionFusionGeneratorPrompt(),
    )
    rows = [{"a": "A sells 3 pens.", "b": "B sells 5 pens."}, {"a": "only one", "b": ""}]
    out = apply(op, rows, input_problem_1="a", input_problem_2="b", output_key="cond")
    first, second = out.batch.rows
    assert first["cond_question_0"].startswith("#Analysis#")
    assert first["cond_question_1"] == "#Analysis#: I could not do it"
    assert first["cond"] == ["A sells 3 pens. then B sells 5 pens. (v1)"]
    assert second == {**rows[1], "cond_question_0": "", "cond_question_1": "", "cond": []}
    assert len(serving.requests) == 1  # one request for both samples of the first row
    assert serving.params_seen[0].n == 2
    assert serving.requests[0][0][0]["role"] == "user"  # the template's system prompt is empty


def test_new_problem_of() -> None:
    assert new_problem_of("#Plan#: x\n#New Problem#:\n  Find y.\n") == "Find y."
    assert new_problem_of("#New Problem#:   ") is None
    assert new_problem_of("no heading") is None
    assert new_problem_of(None) is None


def test_compile_sees_the_numbered_fields(chain, tmp_path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"a": "x + 1 = 2", "b": "y = 2x"}])
    out = tmp_path / "out.jsonl"
    op = ReasoningQuestionFusionGenerator(
        num_prompts=1,
        llm_serving=ScriptedServing(lambda p: "#New Problem#: fused"),
        prompt_template=MathQuestionSequentialFusionGeneratorPrompt(),
    )
    keys = {"input_problem_1": "a", "input_problem_2": "b", "output_key": "seq"}
    chain([(op, keys)], entry_file=src, output_file=out).run()
    assert read_jsonl(out) == [
        {
            "a": "x + 1 = 2",
            "b": "y = 2x",
            "seq_question_0": "#New Problem#: fused",
            "seq": ["fused"],
        }
    ]
    # a numbered field that would overwrite a source field is reported before any row moves
    src2 = write_jsonl(tmp_path / "in2.jsonl", [{"a": "1", "b": "2", "seq_question_0": "old"}])
    with pytest.raises(CompileError, match="seq_question_0"):
        chain([(op, keys)], entry_file=src2, output_file=out).compile()
