"""Prompt templates of the reasoning domain: math and general reasoning, DIY, answer judging.

Each keeps the name, ``build_prompt`` fields and purpose of DataFlow's template of the same name
(``dataflow/prompts/reasoning``, and ``model_evaluation`` for the two answer judges); the wording
is streamflow's own, and shorter, so that a question, the template and a solution fit a small
model's context. What the operators parse is fixed here: "Rating: X" (difficulty), a
``judgement_test`` / ``judgement_result`` JSON field (judges), ``#New Problem#`` (fusion),
``#Judgement#`` (solvability), a ``\\boxed{}`` answer (solutions).
"""

from __future__ import annotations

from typing import Any

from streamflow.operators.reasoning.categories import MATH_CATEGORIES
from streamflow.prompts.base import DIYPromptABC, PromptFieldError, PromptTemplate

__all__ = [
    "AnswerJudgePrompt",
    "AnswerJudgePromptQuestion",
    "DiyAnswerGeneratorPrompt",
    "DiyQuestionFilterPrompt",
    "DiyQuestionSynthesisPrompt",
    "GeneralAnswerGeneratorPrompt",
    "GeneralQuestionFilterPrompt",
    "GeneralQuestionSynthesisPrompt",
    "MathAnswerGeneratorPrompt",
    "MathQuestionCategoryPrompt",
    "MathQuestionConditionFusionGeneratorPrompt",
    "MathQuestionDifficultyPrompt",
    "MathQuestionEvaluatorPrompt",
    "MathQuestionFilterPrompt",
    "MathQuestionParallelFusionGeneratorPrompt",
    "MathQuestionSequentialFusionGeneratorPrompt",
    "MathQuestionSynthesisPrompt",
]

_SOLUTION_ENDING = 'Begin your reply with "Solution:" and stop as soon as the solution is complete.'

# -- solutions -------------------------------------------------------------------------------


class MathAnswerGeneratorPrompt(PromptTemplate):
    """A step-by-step solution of a math problem whose final answer is in ``\\boxed{}``."""

    def build_prompt(self, question: str) -> str:
        return (
            "Solve the math problem below. Work step by step:\n"
            "1. Name the quantities and what is asked.\n"
            "2. Write each step of the derivation on its own line, starting it with →, "
            "and check intermediate results as you go.\n"
            "3. Write mathematical notation in LaTeX (\\geq, \\div, \\frac{a}{b}).\n"
            "4. Put the final answer, and nothing else, in \\boxed{}.\n"
            "Reply with the solution only.\n\n"
            f"Problem: {question}\n\n{_SOLUTION_ENDING}"
        )


class GeneralAnswerGeneratorPrompt(PromptTemplate):
    """A step-by-step solution of any reasoning task, its conclusion stated unambiguously."""

    def build_prompt(self, question: str) -> str:
        return (
            "Solve the reasoning task below. Work step by step:\n"
            "1. State the premises and what the task asks for.\n"
            "2. Apply the principles or methods that fit, one step per line, each starting "
            "with →.\n"
            "3. Check calculations and logic as you go.\n"
            "4. End with the conclusion, in \\boxed{} where it is a short answer. Use LaTeX "
            "for mathematics and code formatting for code.\n"
            "Reply with the solution only.\n\n"
            f"Task: {question}\n\n{_SOLUTION_ENDING}"
        )


# -- new questions ---------------------------------------------------------------------------


class MathQuestionSynthesisPrompt(PromptTemplate):
    """A new solvable math problem from a seed, using the transformations listed in ``items``
    (for example ``"1, 2, 4"``)."""

    def build_prompt(self, items: str, question: str) -> str:
        return (
            "Write a new math problem based on the one below. Apply these transformations, "
            f"and all of those numbered {items}:\n"
            "1. Change the numbers or expressions, keeping the problem solvable.\n"
            "2. Change the kind of problem (use ratios or percentages, ask for a perimeter "
            "instead of an area, an integral instead of a derivative...).\n"
            "3. Set the problem in a real-world situation (payments, interest, travel...).\n"
            "4. Add a premise that must be taken into account separately.\n"
            "5. Add conditions that require solving several cases.\n\n"
            f"Original problem: {question}\n\n"
            "The new problem should need a different approach from the original. Reply with "
            "the problem statement only, with no introduction, and stop after it."
        )


class GeneralQuestionSynthesisPrompt(PromptTemplate):
    """A new self-contained reasoning task from a seed, using the transformations in ``items``."""

    def build_prompt(self, items: str, question: str) -> str:
        return (
            "Write a new reasoning task based on the one below. Apply these transformations, "
            f"and all of those numbered {items}:\n"
            "1. Change quantities or details (numbers, dates, variables, data, code).\n"
            "2. Change the kind of task (calculation to proof, derivation to algorithm "
            "design, analysis to debugging, or the reverse).\n"
            "3. Move it to another setting (finance, engineering, data processing...).\n"
            "4. Add premises or constraints that need separate or conditional treatment.\n"
            "5. Make it need several dependent steps or several skills.\n"
            "6. Ask for a different form of answer (proof, pseudocode, explained number).\n\n"
            f"Original task: {question}\n\n"
            "Reply with the new task statement only, with no introduction, and stop after it."
        )


class _FusionPrompt(PromptTemplate):
    """Two problems in, one fused problem out, after a ``#New Problem#`` heading."""

    instructions = ""
    headings: tuple[str, ...] = ()

    def build_system_prompt(self) -> str:
        return ""

    def build_prompt(self, input_question_1: str, input_question_2: str) -> str:
        layout = "\n".join(f"{h}:" for h in (*self.headings, "#New Problem#"))
        return (
            f"{self.instructions}\n\n"
            f"#Problem 1#\n{input_question_1}\n\n#Problem 2#\n{input_question_2}\n\n"
            f"Reply in exactly this layout:\n{layout}\n"
            "The text after #New Problem# must be the problem statement alone, with no note "
            "or solution."
        )


class MathQuestionSequentialFusionGeneratorPrompt(_FusionPrompt):
    """Chains two problems: the answer of the first becomes an input of the second."""

    instructions = (
        "Merge two math problems into one in which solving #Problem 1# is a required first "
        "step of #Problem 2#. Find the quantities each problem takes and produces, choose an "
        "input of #Problem 2# to replace with the result of #Problem 1#, say which one it is, "
        "adjust numbers and units so the arithmetic stays consistent, and tell both parts "
        "as one story."
    )
    headings = ("#Elements Identified#", "#Plan#")


class MathQuestionParallelFusionGeneratorPrompt(_FusionPrompt):
    """Synthesises a problem that needs both problems' methods at once."""

    instructions = (
        "Combine two math problems into a new one that needs the solution methods of both "
        "at the same time. Analyse the operations and ideas each one relies on, find a "
        "natural link between them, and build one scenario in which both apply, with "
        "parameters that keep the result consistent with both originals."
    )
    headings = ("#Core Elements#", "#Synthesis Method#")


class MathQuestionConditionFusionGeneratorPrompt(_FusionPrompt):
    """Combines two problems under a question that compares or selects their answers."""

    instructions = (
        "Write a real-world problem that requires solving #Problem 1# and #Problem 2# "
        "separately and then asks a #New Question# comparing or choosing between their "
        "answers (who sells more, which plan is cheaper, what can be afforded), so that the "
        "final answer is the answer of one of them, not a combination. If the two problems "
        "ask for different kinds of quantity, change one so that both ask for the same kind. "
        'Do not mention "Problem 1" or "Problem 2" and do not include their solutions in '
        "the new problem."
    )
    headings = ("#Analysis#", "#New Question#")


# -- judging questions -----------------------------------------------------------------------


_JUDGEMENT_JSON = (
    "End your reply with this JSON object:\n"
    '{"judgement_test": true or false, "error_type": "what is wrong, or null"}'
)


class MathQuestionFilterPrompt(PromptTemplate):
    """Is the text a single well-posed, solvable math problem? (``judgement_test``)"""

    def build_prompt(self, question: str) -> str:
        return (
            "Judge whether the text below is a well-posed math problem. Check in order and "
            "stop at the first failure:\n"
            "0. It is a math problem only: no other instruction (rewrite, translate) and no "
            "answer included.\n"
            "1. Spelling, grammar and LaTeX are correct.\n"
            "2. No condition contradicts mathematics or plain facts (half a person is wrong; "
            "an average of 15.5 items per minute is fine).\n"
            "3. The conditions do not contradict each other and the result is reasonable.\n"
            "4. There are enough conditions to answer the question (extra ones are fine).\n\n"
            f"Text:\n---\n{question}\n---\n\n{_JUDGEMENT_JSON}"
        )


class GeneralQuestionFilterPrompt(PromptTemplate):
    """Is the text a single well-posed reasoning task? (``judgement_test``)"""

    def build_prompt(self, question: str) -> str:
        return (
            "Judge whether the text below is a well-posed reasoning task. Check in order and "
            "stop at the first failure:\n"
            "0. It is one clear task: no extra instruction (rewrite, translate) and no answer "
            "included.\n"
            "1. Spelling, grammar and formatting (code, LaTeX, Markdown) are correct.\n"
            "2. No premise contradicts common sense, domain facts or the task itself.\n"
            "3. The premises do not contradict each other and the task can be done.\n"
            "4. Everything needed to complete the task is given (extra details are fine).\n\n"
            f"Text:\n---\n{question}\n---\n\n{_JUDGEMENT_JSON}"
        )


class MathQuestionEvaluatorPrompt(PromptTemplate):
    """Is a math problem completely and correctly stated, and solvable? (``#Judgement#``)"""

    def build_system_prompt(self) -> str:
        return ""

    def build_prompt(self, input_question: str) -> str:
        return (
            "You grade math problems for a university. Judge the problem below:\n"
            "1. Are its definitions, conditions and constraints clear and sufficient?\n"
            "2. Can it be read in more than one way?\n"
            "3. Are its notation and terms clear?\n"
            "4. Is it solvable?\n\n"
            f"Problem:\n{input_question}\n\n"
            "Reply in exactly this layout:\n"
            "#Judgement#: True if it passes all four checks, otherwise False\n"
            "#Explanation#: why"
        )


class MathQuestionCategoryPrompt(PromptTemplate):
    """The primary and secondary category of a math question in :data:`MATH_CATEGORIES`."""

    def build_prompt(self, question: str) -> str:
        lines = []
        for p, (primary, secondaries) in enumerate(MATH_CATEGORIES.items(), 1):
            lines.append(f"{p}. {primary}")
            lines += [f"   {p}.{s} {name}" for s, name in enumerate(secondaries, 1)]
        taxonomy = "\n".join(lines)
        return (
            "Classify the math text below into one primary and one secondary category of "
            f"this taxonomy:\n{taxonomy}\n\n"
            f"Text:\n{question}\n\n"
            'Reply with a JSON object only: {"primary_category": "...", '
            '"secondary_category": "..."} (names or numbers from the taxonomy).'
        )


class MathQuestionDifficultyPrompt(PromptTemplate):
    """A difficulty rating from 1 to 10 in steps of 0.5, on "Rating: X"."""

    def build_prompt(self, question: str) -> str:
        return (
            "Rate how difficult the math problem below is, on a scale from 1 to 10 in steps of "
            "0.5, calibrated on competitions:\n"
            "1-1.5: early middle school (AMC 8 openers, one-step arithmetic or counting)\n"
            "2-3: AMC 10/12 middle problems (a few steps, standard techniques)\n"
            "3.5-4.5: hard AMC 12, AIME openers, easy olympiad problems\n"
            "5-6.5: AIME finals, national olympiads (JBMO, USAJMO)\n"
            "7-8.5: IMO problems 1, 2, 4, 5\n"
            "9-10: the hardest IMO problems (3 and 6)\n\n"
            f"Problem:\n{question}\n\n"
            "Reply in this layout:\n"
            "Summary: the problem and the concepts it uses, in one sentence\n"
            "Rating: the number\n"
            "Reason: one sentence"
        )


# -- judging answers -------------------------------------------------------------------------


_ANSWER_JUDGEMENT = (
    "Compare only the answers, not how they were reached, and judge by meaning rather than "
    "wording: an answer that says the same thing differently is correct.\n"
    'Reply with a JSON object only: {"judgement_result": true} if the current answer is '
    'correct, {"judgement_result": false} if it is not.'
)


class AnswerJudgePrompt(PromptTemplate):
    """Does an answer agree with the reference answer? (``judgement_result``; DataFlow keeps it
    under ``prompts/model_evaluation``)."""

    def build_prompt(self, answer: str, reference_answer: str, question: str | None = None) -> str:
        asked = f"Question: {question}\n\n" if question else ""
        return (
            "Decide whether the current answer is correct.\n\n"
            f"{asked}Reference answer: {reference_answer}\n\nCurrent answer: {answer}\n\n"
            f"{_ANSWER_JUDGEMENT}"
        )


class AnswerJudgePromptQuestion(PromptTemplate):
    """As :class:`AnswerJudgePrompt`, with the question always shown to the judge."""

    def build_prompt(self, question: str, answer: str, reference_answer: str) -> str:
        return (
            "Decide whether the current answer to the question is correct.\n\n"
            f"Question: {question}\n\nReference answer: {reference_answer}\n\n"
            f"Current answer: {answer}\n\n{_ANSWER_JUDGEMENT}"
        )


# -- the user's own wording ------------------------------------------------------------------


class _DiyQuestionPrompt(DIYPromptABC):
    """A user template string with a ``{question}`` placeholder (DataFlow's DIY prompts)."""

    def __init__(self, prompt_template: str) -> None:
        if "{question}" not in prompt_template:
            raise PromptFieldError(
                f"{type(self).__name__}: the template has no {{question}} placeholder"
            )
        self.prompt_template = prompt_template

    def build_prompt(self, question: str) -> str:
        return self.prompt_template.replace("{question}", question)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.prompt_template!r})"


class DiyQuestionFilterPrompt(_DiyQuestionPrompt):
    """Your own question-judging prompt; the reply must still hold ``judgement_test``."""


class DiyQuestionSynthesisPrompt(_DiyQuestionPrompt):
    """Your own question-synthesis prompt; the reply is the new question."""


class DiyAnswerGeneratorPrompt(DIYPromptABC):
    """Your own solution prompt: the template text, then the question, then the instruction to
    begin with "Solution:" (as DataFlow's DIY answer prompt, which appends the question)."""

    def __init__(self, prompt_template: str) -> None:
        self.prompt_template = prompt_template

    def build_prompt(self, question: str) -> str:
        if "{question}" in self.prompt_template:
            return self.prompt_template.replace("{question}", question)
        return f"{self.prompt_template}{question}\n\n{_SOLUTION_ENDING}"

    def __repr__(self) -> str:
        return f"DiyAnswerGeneratorPrompt({self.prompt_template!r})"


def system_prompt_of(template: Any) -> str:
    """A template's ``build_system_prompt()`` where it has one (fusion, evaluator), else ""."""
    build = getattr(template, "build_system_prompt", None)
    return str(build()) if callable(build) else ""
