"""Text2QASampleEvaluator: four LLM grades (1-5) with feedback for each QA pair."""

from __future__ import annotations

import re

from streamflow.actors.base import SampleEvaluator
from streamflow.operators.core_text.qa_prompts import (
    Text2QAAnswerAlignmentPrompt,
    Text2QAAnswerVerifiabilityPrompt,
    Text2QADownstreamValuePrompt,
    Text2QAQuestionQualityPrompt,
)
from streamflow.operators.llm import LLMOperator, parse_score
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["Text2QASampleEvaluator", "parse_grade_and_feedback"]

_GRADE = re.compile(r"\*\*Grading\*\*\s*:\s*\[?(\d+(?:\.\d+)?)", re.I)
_FEEDBACK = re.compile(r"\*\*Feedback\*\*\s*:\s*(.+)", re.I | re.S)


def parse_grade_and_feedback(answer: str) -> tuple[float, str] | None:
    """The grade (1-5) and feedback of an answer; None when it holds no grade in range."""
    match = _GRADE.search(answer)
    feedback_match = _FEEDBACK.search(answer)
    feedback = feedback_match.group(1).strip() if feedback_match else ""
    if match and 1 <= float(match.group(1)) <= 5:
        return float(match.group(1)), feedback
    found = parse_score(answer, 1, 5)
    return (float(found[0]), feedback or found[1]) if found else None


class Text2QASampleEvaluator(LLMOperator, SampleEvaluator):
    """Grades question quality, answer alignment, answer verifiability and downstream value.

    Eight output keys, DataFlow's names: four grades and four feedbacks. The four requests of a
    row go out together. An answer without a grade fails the row with the answer in the reason
    (DataFlow writes 0).
    """

    ALLOWED_PROMPTS = (
        Text2QAQuestionQualityPrompt,
        Text2QAAnswerAlignmentPrompt,
        Text2QAAnswerVerifiabilityPrompt,
        Text2QADownstreamValuePrompt,
    )

    def __init__(self, llm_serving: LLMServing | None = None) -> None:
        self._use(llm_serving)
        self.rubrics = [
            Text2QAQuestionQualityPrompt().build_prompt(),
            Text2QAAnswerAlignmentPrompt().build_prompt(),
            Text2QAAnswerVerifiabilityPrompt().build_prompt(),
            Text2QADownstreamValuePrompt().build_prompt(),
        ]

    async def process(
        self,
        rows: list[Row],
        input_question_key: str = "generated_question",
        input_answer_key: str = "generated_answer",
        output_question_quality_key: str = "question_quality_grades",
        output_question_quality_feedback_key: str = "question_quality_feedbacks",
        output_answer_alignment_key: str = "answer_alignment_grades",
        output_answer_alignment_feedback_key: str = "answer_alignment_feedbacks",
        output_answer_verifiability_key: str = "answer_verifiability_grades",
        output_answer_verifiability_feedback_key: str = "answer_verifiability_feedbacks",
        output_downstream_value_key: str = "downstream_value_grades",
        output_downstream_value_feedback_key: str = "downstream_value_feedbacks",
    ) -> list[Row | Failure]:
        keys = [
            (output_question_quality_key, output_question_quality_feedback_key),
            (output_answer_alignment_key, output_answer_alignment_feedback_key),
            (output_answer_verifiability_key, output_answer_verifiability_feedback_key),
            (output_downstream_value_key, output_downstream_value_feedback_key),
        ]
        prompts = [
            f"{rubric}Question: {row.get(input_question_key, '')}\n"
            f"Answer: {row.get(input_answer_key, '')}"
            for row in rows
            for rubric in self.rubrics
        ]
        answers = iter(await self.ask(prompts))
        out: list[Row | Failure] = []
        for row in rows:
            new = dict(row)
            failure: Failure | None = None
            for grade_key, feedback_key in keys:
                answer = next(answers)
                if isinstance(answer, Failure) or answer is None:
                    failure = failure or answer or Failure("no answer")
                    continue
                parsed = parse_grade_and_feedback(answer)
                if parsed is None:
                    failure = failure or Failure(f"no grade 1-5 in the answer: {answer[:120]!r}")
                    continue
                new[grade_key], new[feedback_key] = parsed
            out.append(failure or new)
        return out
