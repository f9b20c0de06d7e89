"""Prompt templates of the code domain.

Each keeps the name, ``build_prompt`` fields and purpose of DataFlow's template of the same name
(``dataflow/prompts/code.py``); the wording is streamflow's own. What the operators parse is fixed
here: the quality judge's ``Score: N`` and ``Feedback: ...`` lines; generated code may come in a
fenced block (the generator takes the block's body).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from streamflow.prompts.base import DIYPromptABC, PromptTemplate, as_text

__all__ = [
    "CodeCodeToInstructionGeneratorPrompt",
    "CodeInstructionEnhancement",
    "CodeInstructionGeneratePrompt",
    "CodeInstructionToCodeGeneratorPrompt",
    "CodeQualityEvaluatorPrompt",
    "DiyCodePrompt",
]

STANDARD_OPENING = (
    "Please provide a self-contained Python script that solves the following problem in a "
    "markdown code block"
)
"""The first sentence of a standardised instruction (enhancement and new instructions)."""

_STANDARD_SHAPE = (
    f"{STANDARD_OPENING}\n"
    "```\n"
    "<imports, only where needed>\n"
    "\n"
    "\n"
    "def snake_case_name(arg: Type, ...) -> ReturnType:\n"
    '    """What the function must do, what it takes and returns, its constraints.\n'
    "    >>> snake_case_name(example)\n"
    "    expected result\n"
    '    """\n'
    "```\n"
)


class CodeQualityEvaluatorPrompt(PromptTemplate):
    """Asks a reviewer for an integer score (1-10) and short feedback on an instruction's code."""

    def build_prompt(self, instruction: str, code: str) -> str:
        return (
            "Review the code below as a strict senior engineer. Judge how well it carries out "
            "the instruction.\n\n"
            f"Instruction:\n{instruction}\n\n"
            f"Code:\n```python\n{code}\n```\n\n"
            "Weigh: whether it is correct and complete (edge cases, every import it needs); "
            "whether it is clear and idiomatic; whether it is reasonably efficient.\n\n"
            "Answer in exactly two lines and nothing else:\n"
            "Score: <an integer from 1 (poor) to 10 (excellent)>\n"
            "Feedback: <one or two sentences>"
        )


class CodeCodeToInstructionGeneratorPrompt(PromptTemplate):
    """Asks for the one instruction a programmer would have given to get this code."""

    def build_prompt(self, code: str) -> str:
        return (
            "Read the code below and write the single request a developer could have made to "
            'get exactly this code, phrased as a command ("Write a function that ...", '
            '"Implement a class that ..."). Name the inputs, the output and any special '
            "cases the code handles. Reply with the request alone: no preamble, no code, no "
            "markdown.\n\n"
            f"Code:\n```\n{code}\n```\n\n"
            "Request:"
        )


class CodeInstructionGeneratePrompt(PromptTemplate):
    """Asks for a new instruction like the few-shot examples, in the standardised shape."""

    def build_prompt(self, few_shot_examples: Sequence[Mapping[str, Any]]) -> str:
        examples = "".join(
            f"Example {i}:\n{as_text(example['instruction'])}\n\n"
            for i, example in enumerate(few_shot_examples, 1)
        )
        return (
            "Invent ONE new programming task of the same difficulty and style as the examples, "
            "but not a copy or a light rewording of any of them. It must be clear, specific and "
            "solvable.\n\n"
            f"{examples}"
            "Write it in exactly this shape, with nothing before or after:\n"
            f"{_STANDARD_SHAPE}\n"
            "New task:"
        )


class CodeInstructionEnhancement(PromptTemplate):
    """Asks to rewrite a raw instruction into the standardised instruction + function stub."""

    def build_prompt(self, instruction: str) -> str:
        return (
            "Rewrite the task below as a standardised Python problem statement, in exactly this "
            "shape and with nothing before or after it:\n"
            f"{_STANDARD_SHAPE}\n"
            "Rules:\n"
            f'- The first sentence is exactly "{STANDARD_OPENING}".\n'
            "- The fence is plain ``` with no language name; nothing but that sentence lies "
            "outside it.\n"
            "- Inside: the imports it needs (if any), two blank lines, then ONE function whose "
            "snake_case name fits the task, with type annotations on every parameter and on "
            "the return value.\n"
            "- The body is the docstring alone (no pass, no code): an English description of "
            "the problem, its inputs, output and constraints, and at least one doctest.\n"
            "- No other functions, classes, comments, TODOs or ellipses; drop any formatting "
            "noise of the original but keep its meaning.\n\n"
            f"Task:\n{instruction}\n"
        )


class CodeInstructionToCodeGeneratorPrompt(PromptTemplate):
    """Asks for the code, and only the code, that carries out an instruction."""

    def build_prompt(self, instruction: str) -> str:
        return (
            "Carry out the request below in Python. Reply with the complete code only: no "
            "explanation before or after it, no markdown fences.\n\n"
            f"Request:\n{instruction}\n\n"
            "Code:"
        )


class DiyCodePrompt(DIYPromptABC):
    """Your own template for any code operator: ``{field}`` placeholders are filled from the
    fields the operator passes (``code``, ``instruction``, ``few_shot_examples``).

    DataFlow's returns the template unchanged when a placeholder cannot be filled; here the
    unknown placeholder stays as written and the known ones are filled, so a typo in one
    placeholder does not silently drop the row's text from the prompt.
    """

    def __init__(self, prompt_template: str) -> None:
        self.prompt_template = prompt_template

    def build_prompt(self, **fields: Any) -> str:
        text = self.prompt_template
        for name, value in fields.items():
            text = text.replace("{" + name + "}", as_text(value))
        return text

    def __repr__(self) -> str:
        return f"DiyCodePrompt({self.prompt_template!r})"
