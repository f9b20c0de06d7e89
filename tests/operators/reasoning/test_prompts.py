"""The reasoning prompt templates: DataFlow's fields, our wording, what the operators parse."""

from __future__ import annotations

import pytest

from streamflow.operators.reasoning import prompts as p
from streamflow.operators.reasoning.categories import MATH_CATEGORIES
from streamflow.prompts.base import DIYPromptABC, PromptFieldError

FIELDS = {
    p.MathAnswerGeneratorPrompt: ("question",),
    p.GeneralAnswerGeneratorPrompt: ("question",),
    p.MathQuestionSynthesisPrompt: ("items", "question"),
    p.GeneralQuestionSynthesisPrompt: ("items", "question"),
    p.MathQuestionCategoryPrompt: ("question",),
    p.MathQuestionDifficultyPrompt: ("question",),
    p.MathQuestionFilterPrompt: ("question",),
    p.GeneralQuestionFilterPrompt: ("question",),
    p.MathQuestionSequentialFusionGeneratorPrompt: ("input_question_1", "input_question_2"),
    p.MathQuestionParallelFusionGeneratorPrompt: ("input_question_1", "input_question_2"),
    p.MathQuestionConditionFusionGeneratorPrompt: ("input_question_1", "input_question_2"),
    p.MathQuestionEvaluatorPrompt: ("input_question",),
    p.AnswerJudgePrompt: ("answer", "reference_answer"),
    p.AnswerJudgePromptQuestion: ("question", "answer", "reference_answer"),
}


@pytest.mark.parametrize("template", list(FIELDS), ids=lambda t: t.__name__)
def test_every_template_has_dataflows_fields_and_uses_them(template) -> None:
    prompt = template()
    assert prompt.fields == FIELDS[template]
    values = {f: f"<<{f}-value>>" for f in prompt.fields}
    text = prompt.build_prompt(**values)
    for value in values.values():
        assert value in text


def test_missing_field_names_the_template() -> None:
    with pytest.raises(PromptFieldError, match="MathAnswerGeneratorPrompt"):
        p.MathAnswerGeneratorPrompt().build_prompt(problem="x")


def test_what_the_operators_parse_is_asked_for() -> None:
    assert "\\boxed{}" in p.MathAnswerGeneratorPrompt().build_prompt(question="1+1")
    assert '"judgement_test"' in p.MathQuestionFilterPrompt().build_prompt(question="q")
    assert '"judgement_test"' in p.GeneralQuestionFilterPrompt().build_prompt(question="q")
    assert "Rating:" in p.MathQuestionDifficultyPrompt().build_prompt(question="q")
    assert "#Judgement#" in p.MathQuestionEvaluatorPrompt().build_prompt(input_question="q")
    assert '"judgement_result"' in p.AnswerJudgePrompt().build_prompt(
        answer="a", reference_answer="b"
    )
    fused = p.MathQuestionConditionFusionGeneratorPrompt().build_prompt(
        input_question_1="A", input_question_2="B"
    )
    assert fused.rstrip().endswith("or solution.") and "#New Problem#:" in fused
    assert p.MathQuestionSequentialFusionGeneratorPrompt().build_system_prompt() == ""


def test_category_prompt_lists_the_whole_taxonomy_with_numbers() -> None:
    text = p.MathQuestionCategoryPrompt().build_prompt(question="q")
    for number, (primary, secondaries) in enumerate(MATH_CATEGORIES.items(), 1):
        assert f"{number}. {primary}" in text
        assert f"{number}.{len(secondaries)} {secondaries[-1]}" in text


def test_answer_judge_shows_the_question_only_when_given() -> None:
    judge = p.AnswerJudgePrompt()
    assert "Question:" not in judge.build_prompt(answer="a", reference_answer="b")
    assert "Question: q?" in judge.build_prompt(answer="a", reference_answer="b", question="q?")


def test_diy_templates() -> None:
    synth = p.DiyQuestionSynthesisPrompt("Make a harder version of: {question}")
    assert isinstance(synth, DIYPromptABC)
    assert synth.build_prompt(question="1+1?") == "Make a harder version of: 1+1?"
    with pytest.raises(PromptFieldError, match="question"):
        p.DiyQuestionFilterPrompt("no placeholder")
    answer = p.DiyAnswerGeneratorPrompt("Solve carefully. ")
    assert answer.build_prompt(question="2+2?").startswith("Solve carefully. 2+2?")
    assert "Solution:" in answer.build_prompt(question="2+2?")
