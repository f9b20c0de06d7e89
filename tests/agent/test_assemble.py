from __future__ import annotations

import ast
import importlib.util

from streamflow.agent.assemble import assemble
from streamflow.agent.plan import Step, check_plan


def load(source: str, tmp_path):
    path = tmp_path / "agent_pipeline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("agent_pipeline_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.AgentPipeline


def test_the_file_reads_like_a_hand_written_pipeline_and_compiles(cards, tmp_path):
    steps = [
        Step("collapse runs of spaces", "RemoveExtraSpacesRefiner", why="whitespace"),
        Step("solve each problem", "ReasoningAnswerGenerator", why="solutions"),
    ]
    check = check_plan(steps, cards, {"question": "str"})
    source = assemble(
        check.steps,
        cards,
        request="Clean and solve.",
        data_file="/d/in.jsonl",
        sample_fields=["question"],
    ).source
    assert (
        "from streamflow.operators.reasoning.answer_generator import "
        "ReasoningAnswerGenerator" in source
    )
    assert "# 2. solve each problem" in source
    assert "self.storage = FileStorage('/d/in.jsonl', output_file='agent_output.jsonl')" in source
    assert "llm_serving=serving" in source
    assert "input_key='question'," in source and "output_key='generated_cot'," in source
    assert all(len(line) <= 100 for line in source.splitlines())
    pipeline = load(source, tmp_path)()
    plan = pipeline.compile(source_fields=["question"])
    assert [s.label for s in plan.steps] == ["RemoveExtraSpacesRefiner", "ReasoningAnswerGenerator"]


def test_a_pipeline_without_input_starts_from_seed_rows(cards, tmp_path):
    steps = [
        Step(
            "write",
            "PromptedGenerator",
            params={"user_prompt": "Write a haiku."},
            requested={"input_key": "topic"},
        )
    ]
    source = assemble(steps, cards, request="Haiku.", data_file=None, has_input=False).source
    assert "seed_rows=5" in source
    # an operator that makes its own seeds needs none; its template is its first allowed one
    source = assemble(
        [Step("write", "CondorGenerator")], cards, request="SFT.", data_file=None, has_input=False
    ).source
    assert "seed_rows" not in source
    assert "prompt_template=CondorQuestionPrompt()" in source
    load(source, tmp_path)().compile()


def test_user_text_cannot_break_out_of_the_docstring_or_comments(cards, tmp_path):
    evil = 'x"""\nraise SystemExit("escaped")\n"""\\'
    steps = [Step(f"step {evil}", "RemoveExtraSpacesRefiner", why=evil)]
    check = check_plan(steps, cards, {"text": "str"})
    source = assemble(check.steps, cards, request=evil, data_file=None).source
    tree = ast.parse(source)
    assert not [n for n in tree.body if isinstance(n, ast.Raise)]
    load(source, tmp_path)  # imports without raising
