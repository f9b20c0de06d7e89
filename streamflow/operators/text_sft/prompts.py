"""Prompt templates of the text_sft domain (DataFlow's template names, streamflow's wording).

Templates whose operator expects JSON ask for it in words too; the operator also sends the JSON
schema, which the serving enforces (guided decoding on vLLM, ``response_format`` over HTTP).
"""

from __future__ import annotations

from typing import Literal

from streamflow.operators.text_sft.knowledge_tree import KNOWLEDGE_TREE, TASK_SCENARIOS
from streamflow.prompts.base import PromptFieldError, PromptTemplate

__all__ = [
    "AlpagasusPrompt",
    "CondorQuestionPrompt",
    "CondorRefinePrompt",
    "SFTGeneratorSeedPrompt",
    "TreeinstructPrompt",
]


class CondorQuestionPrompt(PromptTemplate):
    """Asks for three questions (easy, medium, hard) on a theme of a knowledge-tree domain.

    ``tag`` (DataFlow's name) is the tree, topic -> domain -> themes; ``task_types`` the
    scenarios a question may be framed in. Both may be replaced.
    """

    def __init__(
        self,
        tree: dict[str, dict[str, list[str]]] | None = None,
        task_types: list[str] | None = None,
    ) -> None:
        self.tag = tree if tree is not None else KNOWLEDGE_TREE
        self.task_types = task_types if task_types is not None else TASK_SCENARIOS
        if not self.tag or any(not domains for domains in self.tag.values()):
            raise ValueError("the knowledge tree needs topics, each with domains and themes")

    def build_prompt(self, theme: str, domain: str, task_type: str | None = None) -> str:
        scenario = (
            f"Frame all three questions in the scenario \u201c{task_type}\u201d.\n"
            if task_type
            else ""
        )
        return (
            "We are writing supervised fine-tuning data for a language model. Write three "
            f"questions about \u201c{theme}\u201d, in the domain of {domain}.\n"
            f"{scenario}"
            "Requirements:\n"
            "- One easy, one medium and one hard question; the difficulty must really differ.\n"
            "- Each question gives the context needed to answer it; no abrupt one-liners.\n"
            "- Write only the questions, no answers.\n"
            'Reply in JSON: {"easy": "...", "medium": "...", "hard": "..."}'
        )

    def build_answer_prompt(self, question: str) -> str:
        """The request for one question's answer."""
        return f"Answer the following question accurately and helpfully.\n\nQuestion: {question}"


class CondorRefinePrompt(PromptTemplate):
    """Critique a response (``mode="critique"``), then rewrite it from the critique
    (``mode="refine"``)."""

    def build_prompt(
        self,
        mode: Literal["critique", "refine"],
        question: str | None = None,
        answer: str | None = None,
        critique: str | None = None,
    ) -> str:
        if question is None or answer is None:
            raise PromptFieldError("CondorRefinePrompt needs question and answer")
        if mode == "critique":
            return (
                "Review the answer a model gave to a user's question. Name what it does well, "
                "what is wrong or missing, and how to improve it, in this layout:\n"
                "[Strength Start]...[Strength End]\n[Weakness Start]...[Weakness End]\n"
                "[Suggestion Start]...[Suggestion End]\n\n"
                f"Question: {question}\n\nAnswer: {answer}"
            )
        if mode == "refine":
            if critique is None:
                raise PromptFieldError("CondorRefinePrompt(mode='refine') needs critique")
            return (
                "Improve the model's answer to the question using the reviewer's feedback. Write "
                "the improved answer between [Improved Answer Start] and [Improved Answer End].\n\n"
                f"[Question Start]{question}[Question End]\n"
                f"[Answer Start]{answer}[Answer End]\n"
                f"[Feedback Start]{critique}[Feedback End]"
            )
        raise PromptFieldError(
            f"CondorRefinePrompt: mode must be 'critique' or 'refine', not {mode!r}"
        )


class SFTGeneratorSeedPrompt(PromptTemplate):
    """System prompt asking for one instruction/response pair grounded in a document (the user
    message); ``custom_prompt`` adds the user's own requirements."""

    def __init__(self, custom_prompt: str = "") -> None:
        self.custom_prompt = custom_prompt

    def build_system_prompt(self) -> str:
        extra = f"\nAdditional requirements: {self.custom_prompt}" if self.custom_prompt else ""
        return (
            "You write high-quality supervised fine-tuning data. From the document the user "
            "gives, write exactly one instruction a user might ask and the ideal response.\n"
            "- The instruction must be answerable from the document and include the context it "
            "needs.\n- The response must be correct, complete and well written."
            f"{extra}\n"
            'Reply in JSON: {"instruction": "...", "output": "..."}'
        )

    def build_prompt(self, content: str = "") -> str:
        return content


class AlpagasusPrompt(PromptTemplate):
    """The AlpaGasus judge: rate a response on one ``dimension`` from 0 to 5."""

    def __init__(self, dimension: str = "quality") -> None:
        self.dimension = dimension

    def build_system_prompt(self, instruction: str, input_text: str, response: str) -> str:
        return (
            "You give feedback on how well an AI assistant responded to an instruction.\n"
            f"Instruction: {instruction}\nInput: {input_text}\nResponse: {response}"
        )

    def build_prompt(self) -> str:
        return (
            f"Rate the {self.dimension} of the response to the instruction and input on a scale "
            f"from 0 to 5, where a higher score means better {self.dimension}. Give the score "
            "first, then a short, unbiased explanation.\n"
            'Reply in JSON: {"score": <0-5>, "explanation": "..."}'
        )


class TreeinstructPrompt(PromptTemplate):
    """Tree-Instruct's complexity measure: parse the instruction into a semantic tree and count
    its nodes."""

    def build_system_prompt(self, instruction: str) -> str:
        return (
            "You analyse instructions. Parse the instruction below into a semantic tree (actions, "
            "objects, constraints and modifiers as nodes) and count the nodes of that tree.\n"
            f"Instruction: \u201c{instruction}\u201d"
        )

    def build_prompt(self) -> str:
        return (
            "Describe the tree briefly, then give the number of nodes; the number is the "
            "instruction's complexity.\n"
            'Reply in JSON: {"tree": "...", "node_count": <number>}'
        )
