"""Prompt templates of core_text's benchmark and synthesis operators (DataFlow's names, our
wording). The single-answer judges are the reasoning family's :class:`AnswerJudgePrompt` and
:class:`AnswerJudgePromptQuestion`, re-exported here."""

from __future__ import annotations

from streamflow.operators.reasoning.prompts import AnswerJudgePrompt, AnswerJudgePromptQuestion
from streamflow.prompts.base import PromptTemplate

__all__ = [
    "AnswerJudgeMultipleQuestionsPrompt",
    "AnswerJudgePrompt",
    "AnswerJudgePromptQuestion",
    "SFTFromScratchGeneratorPrompt",
]


class AnswerJudgeMultipleQuestionsPrompt(PromptTemplate):
    """Judges an answer to a question with several sub-questions, one verdict per sub-question:
    ``{"judgement": [true, false, "empty", ...]}`` ("empty" where the reference gives none)."""

    def build_prompt(self, question: str, answer: str, reference_answer: str) -> str:
        return (
            "The question below has several parts. For each part, in order, decide whether the "
            "current answer agrees in meaning with the reference answer.\n\n"
            f"Question: {question}\n\nReference answer: {reference_answer}\n\n"
            f"Current answer: {answer}\n\n"
            'Reply with a JSON object only: {"judgement": [...]} holding one entry per part: '
            'true if that part is answered correctly, false if not, "empty" if the reference '
            "has no answer for it."
        )


class SFTFromScratchGeneratorPrompt(PromptTemplate):
    """Asks for one new supervised fine-tuning sample in a domain of the given list, as one line
    of JSON with ``instruction``, ``input``, ``output`` and ``domain``."""

    def build_prompt(self, domain_keys: str) -> str:
        return (
            "Write one new, realistic training example for instruction-tuning a helpful "
            "assistant. Pick one domain from this list and stay within it: "
            f"{domain_keys}.\n"
            "The instruction is something a real user would ask (vary the style and the "
            "difficulty); the input is extra context the instruction needs, or an empty string; "
            "the output is an accurate, complete, expert answer. Nothing harmful, nothing "
            "personal.\n"
            'Reply with a single line of JSON: {"instruction": "...", "input": "...", '
            '"output": "...", "domain": "..."}'
        )
