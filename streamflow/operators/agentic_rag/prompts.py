"""Prompt templates of the agentic_rag domain (DataFlow's names and JSON shapes, our wording).

Each template has ``build_system_prompt()`` and ``build_prompt(...)``; the JSON each asks for
is what the generators parse.
"""

from __future__ import annotations

import json
from typing import Any

from streamflow.prompts.base import PromptTemplate

__all__ = [
    "AtomicTaskGeneratorAnswerPrompt",
    "AtomicTaskGeneratorCleanQAPrompt",
    "AtomicTaskGeneratorGetConlcusionPrompt",
    "AtomicTaskGeneratorGetIdentifierPrompt",
    "AtomicTaskGeneratorGoldenDocAnswerPrompt",
    "AtomicTaskGeneratorOptionalAnswerPrompt",
    "AtomicTaskGeneratorQuestionPrompt",
    "AtomicTaskGeneratorRecallScorePrompt",
    "DepthQAGeneratorAnswerPrompt",
    "DepthQAGeneratorBackwardTaskPrompt",
    "DepthQAGeneratorGetIdentifierPrompt",
    "DepthQAGeneratorQuestionPrompt",
    "DepthQAGeneratorRecallScorePrompt",
    "DepthQAGeneratorSupersetCheckPrompt",
    "WidthQAGeneratorMergePrompt",
    "WidthQAGeneratorOriginCheckPrompt",
    "WidthQAGeneratorQuestionVerifyPrompt",
    "WidthQAGeneratorRecallScorePrompt",
]


class _Prompt(PromptTemplate):
    system = ""

    def build_system_prompt(self) -> str:
        return self.system


class AtomicTaskGeneratorGetIdentifierPrompt(_Prompt):
    system = """Name the main subject of the text you are given: the proper noun, title or
specific term that the text is about, which would identify where to look it up.
Reply with JSON only: {"content_identifier": "..."}"""

    def build_prompt(self, input: str) -> str:
        return f"Text:\n{input}"


class AtomicTaskGeneratorGetConlcusionPrompt(_Prompt):
    system = """List the atomic, checkable facts stated in a document fragment.

Each fact ("conclusion") must be one indivisible statement holding a definite value: a number,
a date, a name. Make time-bound facts explicit ("in 2023"). For each, give "R": the relation
that leads from the document to that value, phrased so it could be looked up ("Year the
lighthouse was first lit", "Length of the breakwater").

Reply with a JSON array only:
[{"conclusion": "1851", "R": "Year the Aldermoor lighthouse was first lit"}, ...]"""

    def build_prompt(self, input: str) -> str:
        return f"Document fragment:\n{input}"


class AtomicTaskGeneratorQuestionPrompt(_Prompt):
    system = """Write one question whose only correct answer is A, given:
- ID: the subject or source the question is about,
- R: the relation that leads from ID to the answer,
- A: the answer.
The question must stand alone (no "the text", "the document"), name the subject, include
details such as dates that make the answer unique, be in the language of A, and not contain A.
Reply with JSON only: {"Q": "..."}"""

    def build_prompt(self, identifier: str, conclusion: str, relation: str) -> str:
        return f"ID: {identifier}\nR: {relation}\nA: {conclusion}"


class AtomicTaskGeneratorCleanQAPrompt(_Prompt):
    system = """Shorten an answer to exactly what its question asks for: the value alone
(a number with its unit, a date as YYYY-MM-DD, a name), adding nothing that is not in the
original answer. Reply with JSON only:
{"question": "...", "original_answer": "...", "refined_answer": "..."}"""

    def build_prompt(self, input: Any) -> str:
        return json.dumps(input, ensure_ascii=False)


class AtomicTaskGeneratorAnswerPrompt(_Prompt):
    def build_prompt(self, input: str) -> str:
        return f"Answer this question as briefly as possible, with the key facts only.\n{input}"


_RECALL = """Compare another answer with the golden answer and score how much of the golden
answer's information it holds:
2 = the same information (wording may differ);
1 = all of the golden answer's information plus more;
0 = it misses key information, or contradicts it.
Reply with JSON only: {"answer_analysis": "<one sentence>", "answer_score": 0 | 1 | 2}"""


class AtomicTaskGeneratorRecallScorePrompt(_Prompt):
    system = _RECALL

    def build_prompt(self, golden_answer: str, llm_answer: str) -> str:
        return f"Golden answer: {golden_answer}\nOther answer: {llm_answer}"


class AtomicTaskGeneratorOptionalAnswerPrompt(_Prompt):
    system = """List every common way of writing the given answer that means exactly the same
thing: other date and number formats, abbreviations, well-known aliases. Nothing broader or
narrower. The original comes first. Reply with a JSON array of strings only, e.g.
["1851-11-03", "3 November 1851", "November 3, 1851"]"""

    def build_prompt(self, answer: str) -> str:
        return f"Answer: {answer}"


class AtomicTaskGeneratorGoldenDocAnswerPrompt(_Prompt):
    def build_prompt(self, golden_doc: str, question: str) -> str:
        return (
            f'Document:\n"""\n{golden_doc}\n"""\n\nQuestion: {question}\n'
            "Answer from the document only, with the answer alone and no explanation."
        )


class DepthQAGeneratorGetIdentifierPrompt(AtomicTaskGeneratorGetIdentifierPrompt):
    pass


class DepthQAGeneratorBackwardTaskPrompt(_Prompt):
    def build_prompt(self, input: str) -> str:
        return f"""Find a broader thing (a "superset") that contains the element below — the
work, series, collection, period, organisation or field it belongs to — and the relation that
singles the element out within it, so that superset + relation point to this element and no
other. Name the superset by an identifier (a title, a name, a period), not by the element
itself; keep the relation short and factual.
Reply with JSON only: {{"identifier": "...", "relation": "..."}}

Element: {input}"""


class DepthQAGeneratorSupersetCheckPrompt(_Prompt):
    system = """Check whether a superset and a relation identify exactly one subset element.
Valid only if the superset truly contains the element (not a synonym of it) and the relation
leads to this element alone. Reply with JSON only: {"new_query": "valid"} or
{"new_query": "invalid"}"""

    def build_prompt(self, new_id: str, relation: str, identifier: str) -> str:
        return f"Superset: {new_id}\nRelation: {relation}\nSubset: {identifier}"


class DepthQAGeneratorQuestionPrompt(_Prompt):
    system = """Write a question about the superset, through the relation, whose answer is the
given element; the question must not contain the element. Reply with JSON only:
{"new_query": "..."}"""

    def build_prompt(self, new_id: str, relation: str, identifier: str) -> str:
        return f"Element (the answer): {identifier}\nSuperset: {new_id}\nRelation: {relation}"


class DepthQAGeneratorAnswerPrompt(_Prompt):
    def build_prompt(self, input: str) -> str:
        return (
            "Answer this question as briefly as possible. Reply with JSON only: "
            f'{{"answer_list": ["..."]}}\n\nQuestion: {input}'
        )


class DepthQAGeneratorRecallScorePrompt(AtomicTaskGeneratorRecallScorePrompt):
    pass


class WidthQAGeneratorMergePrompt(_Prompt):
    system = """Merge related questions into one question that asks all of them at once.
Keep every element of the original questions (times, names, qualifiers), add no facts, and
write one grammatical question (not two joined by "and"). Reply with a JSON array only:
[{"question": "...", "index": [<the indices merged>], "content_identifier": "..."}]"""

    def build_prompt(self, input: Any) -> str:
        return "Questions:\n" + json.dumps(input, indent=2, ensure_ascii=False)


class WidthQAGeneratorOriginCheckPrompt(_Prompt):
    system = """Check whether a complex question decomposes exactly into its original questions:
it must contain every element of each, distort nothing and stay unambiguous. Reply with a JSON
array only: [{"index": <index>, "complex_question": "...", "state": 1 or 0}]"""

    def build_prompt(self, input: Any) -> str:
        return json.dumps(input, indent=2, ensure_ascii=False)


class WidthQAGeneratorQuestionVerifyPrompt(_Prompt):
    system = """Answer the complex question from your own knowledge, briefly. Reply with a JSON
array only: [{"index": <index>, "complex_question": "...", "llm_answer": "..."}]"""

    def build_prompt(self, input: Any) -> str:
        return json.dumps(input, indent=2, ensure_ascii=False)


class WidthQAGeneratorRecallScorePrompt(AtomicTaskGeneratorRecallScorePrompt):
    pass
