"""ReasoningQuestionGenerator: several new questions per seed, as new rows."""

from __future__ import annotations

import re

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.errors import PromptTemplateError
from streamflow.operators.reasoning.prompts import (
    DiyQuestionSynthesisPrompt,
    MathAnswerGeneratorPrompt,
    MathQuestionSynthesisPrompt,
)
from streamflow.operators.reasoning.question_generator import (
    TRANSFORMATION_SETS,
    ReasoningQuestionGenerator,
)
from streamflow.rows import Failure
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply


def synthesise(prompt: str) -> str:
    if "BROKEN" in prompt:
        raise LLMRequestError("HTTP 400: bad request")
    items = re.search(r"numbered ([\d, ]+):", prompt)
    seed = re.search(r"Original problem: (.*)", prompt)
    if items is None or seed is None:
        return "<think>no idea</think>"
    return f"<think>hmm</think>variant [{items.group(1)}] of {seed.group(1)}"


def test_seed_first_then_its_new_questions() -> None:
    serving = ScriptedServing(synthesise)
    op = ReasoningQuestionGenerator(num_prompts=3, llm_serving=serving)
    rows = [{"q": "What is 2+2?", "gold": "4"}, {"q": "", "gold": "x"}, {"gold": "y"}]
    out = apply(op, rows, input_key="q")
    assert out.batch.ids[:4] == ["row:0/0", "row:0/1", "row:0/2", "row:0/3"]
    seed, *new = out.batch.rows[:4]
    assert seed == {"q": "What is 2+2?", "gold": "4", "Synth_or_Input": "input"}
    assert all(r["Synth_or_Input"] == "synth" and set(r) == {"q", "Synth_or_Input"} for r in new)
    used = [re.search(r"\[(.*)\]", r["q"]).group(1) for r in new]
    assert len(set(used)) == 3 and set(used) <= set(TRANSFORMATION_SETS)  # distinct sets
    assert all(r["q"].endswith("of What is 2+2?") and "<think>" not in r["q"] for r in new)
    # the empty and the missing question pass through without requests
    assert out.batch.rows[4:] == [
        {"q": "", "gold": "x", "Synth_or_Input": "input"},
        {"gold": "y", "Synth_or_Input": "input"},
    ]
    assert len(serving.requests) == 3


def test_prompts_are_the_same_on_every_run() -> None:
    a = ReasoningQuestionGenerator(num_prompts=2, llm_serving=ScriptedServing())
    assert a.prompts_for("q", "file:7") == a.prompts_for("q", "file:7")
    picks = {tuple(a.prompts_for("q", f"file:{i}")) for i in range(20)}
    assert len(picks) > 1  # but they vary from row to row


def test_empty_new_questions_are_left_out_and_a_failed_request_fails_the_seed() -> None:
    serving = ScriptedServing(synthesise)
    op = ReasoningQuestionGenerator(num_prompts=1, llm_serving=serving)
    template = MathQuestionSynthesisPrompt()
    # a reply that is only thinking gives an empty question: not emitted
    empty = ReasoningQuestionGenerator(
        num_prompts=1,
        llm_serving=ScriptedServing(lambda p: "<think>...</think>"),
        prompt_template=template,
    )
    assert [r["Synth_or_Input"] for r in apply(empty, [{"q": "a"}], input_key="q").batch.rows] == [
        "input"
    ]
    out = apply(op, [{"q": "BROKEN"}, {"q": "fine"}], input_key="q", output_synth_or_input_flag="f")
    assert out.failed[0][2] == "question synthesis: HTTP 400: bad request"
    assert [r["f"] for r in out.batch.rows] == ["input", "synth"]


def test_diy_template_gets_the_question_only() -> None:
    serving = ScriptedServing(lambda p: f"new: {p}")
    op = ReasoningQuestionGenerator(
        num_prompts=2,
        llm_serving=serving,
        prompt_template=DiyQuestionSynthesisPrompt("Harder: {question}"),
    )
    out = apply(op, [{"q": "1+1"}], input_key="q")
    assert [r["q"] for r in out.batch.rows] == ["1+1", "new: Harder: 1+1", "new: Harder: 1+1"]


def test_configuration_errors() -> None:
    with pytest.raises(ValueError, match="num_prompts"):
        ReasoningQuestionGenerator(num_prompts=6, llm_serving=ScriptedServing())
    with pytest.raises(PromptTemplateError, match="MathAnswerGeneratorPrompt"):
        ReasoningQuestionGenerator(
            llm_serving=ScriptedServing(), prompt_template=MathAnswerGeneratorPrompt()
        )


def test_in_a_pipeline_children_stream_with_their_seed(chain, tmp_path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"q": f"question {i}"} for i in range(5)])
    out = tmp_path / "out.jsonl"
    op = ReasoningQuestionGenerator(num_prompts=2, llm_serving=ScriptedServing(synthesise))
    chain([(op, {"input_key": "q"})], entry_file=src, output_file=out).run(batch_size=2)
    rows = read_jsonl(out)
    assert len(rows) == 15
    assert [r["Synth_or_Input"] for r in rows[:3]] == ["input", "synth", "synth"]
    assert all(isinstance(r, dict) and not isinstance(r, Failure) for r in rows)
