"""CondorGenerator (from nothing) and CondorRefiner on a scripted serving."""

from __future__ import annotations

import json

import pytest
from helpers import read_jsonl

from streamflow import FileStorage, Pipeline, PromptTemplateError
from streamflow.operators.structured import schema_of
from streamflow.operators.text_sft import CondorGenerator, CondorRefiner
from streamflow.operators.text_sft.condor_generator import CondorQuestions
from streamflow.operators.text_sft.condor_refiner import strip_markers
from streamflow.operators.text_sft.prompts import CondorQuestionPrompt, CondorRefinePrompt
from streamflow.prompts.base import DIYPromptABC
from streamflow.serving.base import LLMRequestError
from streamflow.testing import ScriptedServing, apply


def condor_answer(prompt: str) -> str:
    """Three questions naming the theme they were asked about; answers echo the question."""
    if prompt.startswith("We are writing"):
        theme = prompt.split("\u201c", 1)[1].split("\u201d", 1)[0]
        return json.dumps({"easy": f"E {theme}?", "medium": f"M {theme}?", "hard": f"H {theme}?"})
    question = prompt.rsplit("Question: ", 1)[1]
    if "FAIL" in question:
        raise LLMRequestError("context too long")
    return f"  answer to {question}  "


def seeds(n: int) -> tuple[list[dict], list[str]]:
    return [{"seed": i} for i in range(n)], [f"gen:{i}" for i in range(n)]


def test_each_seed_becomes_three_rows_of_rising_difficulty():
    serving = ScriptedServing(condor_answer)
    op = CondorGenerator(serving, num_samples=6)
    rows, ids = seeds(2)
    out = apply(op, rows, ids)
    assert out.batch.ids == ["gen:0/0", "gen:0/1", "gen:0/2", "gen:1/0", "gen:1/1", "gen:1/2"]
    assert [r["difficulty"] for r in out.batch.rows] == ["Easy", "Medium", "Hard"] * 2
    first = out.batch.rows[0]
    assert set(first) == {"difficulty", "instruction", "output"}
    assert first["output"] == f"answer to {first['instruction']}"  # stripped
    assert len(serving.requests) == 2 + 6
    question_requests = [r for r in serving.requests if r[1] is not None]
    assert len(question_requests) == 2
    assert all(schema == schema_of(CondorQuestions) for _, schema in question_requests)
    assert op.seed_rows == 2


def test_the_draw_is_the_same_for_the_same_id_and_varies_across_ids():
    op = CondorGenerator(ScriptedServing(condor_answer), num_samples=300)
    draws = [op.draw(f"gen:{i}") for i in range(100)]
    assert draws == [op.draw(f"gen:{i}") for i in range(100)]
    assert len({d["theme"] for d in draws}) > 50 and len({d["topic"] for d in draws}) > 15
    tree = CondorQuestionPrompt().tag
    assert all(d["theme"] in tree[d["topic"]][d["domain"]] for d in draws)
    assert all(d["task_type"] in CondorQuestionPrompt().task_types for d in draws)
    plain = CondorGenerator(ScriptedServing(condor_answer), use_task_diversity=False, seed=1)
    assert plain.draw("gen:0")["task_type"] is None
    assert plain.draw("gen:5") != CondorGenerator(ScriptedServing(condor_answer), seed=2).draw(
        "gen:5"
    )


def test_prompt_names_the_theme_domain_and_scenario():
    serving = ScriptedServing(condor_answer)
    op = CondorGenerator(serving)
    apply(op, [{"seed": 0}], ["gen:0"])
    draw = op.draw("gen:0")
    prompt = serving.prompts[0]
    assert draw["theme"] in prompt and draw["domain"] in prompt and draw["task_type"] in prompt


def test_unusable_questions_and_failed_answers_fail_the_seed_with_the_reason():
    serving = ScriptedServing(
        lambda p: (
            json.dumps({"easy": "FAIL me", "medium": " ", "hard": "Why?"})
            if p.startswith("We are writing")
            else condor_answer(p)
        )
    )
    out = apply(CondorGenerator(serving), [{"seed": 0}], ["gen:0"])
    assert out.batch.rows == []
    assert out.failed[0][2] == "Easy answer: context too long"
    # the blank medium question was not asked about
    assert len(serving.requests) == 1 + 2

    free_text = ScriptedServing(lambda p: "1. What is soil?" if p.startswith("We are") else "x")
    out = apply(CondorGenerator(free_text), [{"seed": 0}], ["gen:0"])
    assert out.failed[0][2].startswith("questions: answer is not valid JSON")


def test_custom_tree_and_diy_templates():
    tree = {"Knots": {"Sailing": ["Bowline"]}}
    serving = ScriptedServing(condor_answer)
    op = CondorGenerator(
        serving, prompt_template=CondorQuestionPrompt(tree=tree, task_types=["Quiz"])
    )
    out = apply(op, [{"seed": 0}], ["gen:0"])
    assert out.batch.rows[0]["instruction"] == "E Bowline?"

    class Mine(DIYPromptABC):
        tag = tree
        task_types = ()

        def build_prompt(self, theme, domain, task_type=None):
            return f"We are writing about \u201c{theme}\u201d"

    out = apply(
        CondorGenerator(ScriptedServing(condor_answer), prompt_template=Mine()),
        [{"seed": 0}],
        ["gen:0"],
    )
    assert [r["instruction"] for r in out.batch.rows] == ["E Bowline?", "M Bowline?", "H Bowline?"]
    with pytest.raises(PromptTemplateError):
        CondorGenerator(ScriptedServing(), prompt_template=CondorRefinePrompt())
    with pytest.raises(ValueError, match="num_samples"):
        CondorGenerator(ScriptedServing(), num_samples=2)


class Synthesis(Pipeline):
    def __init__(self, serving, out, num_samples):
        self.storage = FileStorage(output_file=out)
        self.generator = CondorGenerator(serving, num_samples=num_samples)
        self.refiner = CondorRefiner(serving)

    def forward(self):
        self.generator.run(self.storage.step())
        self.refiner.run(
            self.storage.step(), input_instruction_key="instruction", input_output_key="output"
        )


def refine_answer(prompt: str) -> str:
    if prompt.startswith("Review the answer"):
        return "[Strength Start]ok[Strength End]"
    if prompt.startswith("Improve the model"):
        if "FAIL" in prompt:
            raise LLMRequestError("context too long")
        question = prompt.split("[Question Start]", 1)[1].split("[Question End]", 1)[0]
        return f"[Improved Answer Start] better answer to {question} [Improved Answer End]"
    return condor_answer(prompt)


def test_generation_from_nothing_then_refinement_in_a_pipeline(tmp_path):
    out = tmp_path / "sft.jsonl"
    result = Synthesis(ScriptedServing(refine_answer), out, num_samples=12).run(batch_size=2)
    rows = read_jsonl(out)
    assert len(rows) == 12 and result.dead_letters.count == 0
    assert all(r["output"] == f"better answer to {r['instruction']}" for r in rows)
    assert [r["difficulty"] for r in rows[:3]] == ["Easy", "Medium", "Hard"]


def test_refiner_critiques_then_rewrites():
    serving = ScriptedServing(refine_answer)
    rows = [
        {"instruction": "Q1", "output": "A1"},
        {"instruction": "", "output": "A2"},  # nothing to refine: passed on as it is
        {"instruction": "FAIL", "output": "A3"},
    ]
    out = apply(CondorRefiner(serving), rows)
    assert out.batch.rows == [{"instruction": "Q1", "output": "better answer to Q1"}, rows[1]]
    critique_of_q1 = serving.prompts[0]
    assert "Question: Q1" in critique_of_q1 and "Answer: A1" in critique_of_q1
    refine_prompt = next(p for p in serving.prompts if p.startswith("Improve") and "Q1" in p)
    assert "[Feedback Start][Strength Start]ok[Strength End][Feedback End]" in refine_prompt
    assert [r for _, _, r in out.failed] == ["refinement: context too long"]


def test_strip_markers():
    assert strip_markers("[Improved Answer Start] x [Improved Answer End]") == "x"
    assert strip_markers("no markers") == "no markers"
    assert strip_markers("pre [Improved Answer Start] cut off") == "cut off"
    empty = ScriptedServing(lambda p: "[Improved Answer Start][Improved Answer End]")
    out = apply(CondorRefiner(empty), [{"instruction": "Q", "output": "A"}])
    assert out.failed[0][2] == "the refinement came back empty"
