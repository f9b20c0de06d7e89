"""Prompt templates of the text_pt domain (DataFlow's names, our wording)."""

from __future__ import annotations

from typing import Any

from streamflow.prompts.base import PromptTemplate

__all__ = ["DEFAULT_DIMENSIONS", "MetaPrompt", "Phi4QAGeneratorPrompt", "check_dimensions"]

DEFAULT_DIMENSIONS: list[dict[str, Any]] = [
    {
        "dimension_name": "Text Structure",
        "description": "Spelling, grammar, vocabulary range and sentence construction.",
        "example_list": [
            {"text": "Each step of the assay was recorded with its timing.", "score": "5"},
            {"text": "we done the test but it dont work good and idk", "score": "2"},
        ],
    },
    {
        "dimension_name": "Diversity and Complexity",
        "description": "How varied and deep the ideas are; whether expertise is needed.",
        "example_list": [
            {
                "text": "It weighs the bias-variance trade-off of ridge and lasso penalties.",
                "score": "5",
            },
            {"text": "Cats are nice. Cats sleep. I like cats.", "score": "2"},
        ],
    },
    {
        "dimension_name": "Fluency and Understandability",
        "description": "Whether the text reads naturally and is easy to follow.",
        "example_list": [
            {
                "text": "After two failed tries, the crew reached the summit at dawn.",
                "score": "5",
            },
            {"text": "Summit the crew then failed maybe reaching dawn at was.", "score": "2"},
        ],
    },
    {
        "dimension_name": "Safety",
        "description": "Free of insults, hate, and personal data that should not be shared.",
        "example_list": [
            {"text": "The app stores settings locally and shares nothing.", "score": "5"},
            {"text": "That moron lives at 14 Elm Road, go tell him what you think.", "score": "1"},
        ],
    },
    {
        "dimension_name": "Educational Value",
        "description": "Whether a reader learns something or is led to think.",
        "example_list": [
            {
                "text": "Osmosis moves water across a membrane to the saltier side.",
                "score": "5",
            },
            {"text": "Water is water. It is what it is.", "score": "2"},
        ],
    },
    {
        "dimension_name": "Content Accuracy and Effectiveness",
        "description": "Whether the content is true, relevant and useful.",
        "example_list": [
            {"text": "Light from the Sun takes about eight minutes to reach Earth.", "score": "5"},
            {"text": "The Moon is a hole in the sky that lets light through.", "score": "1"},
        ],
    },
]


def check_dimensions(owner: str, dimensions: list[dict[str, Any]]) -> None:
    """Reject dimensions not shaped ``{dimension_name, description, example_list: [{text,
    score}]}``, naming the one at fault."""
    if not dimensions:
        raise ValueError(f"{owner}: dimensions must not be empty")
    for i, item in enumerate(dimensions):
        missing = [k for k in ("dimension_name", "description", "example_list") if k not in item]
        if missing:
            raise ValueError(f"{owner}: dimension {i} lacks {', '.join(missing)}")
        for j, example in enumerate(item["example_list"]):
            if "text" not in example or "score" not in example:
                raise ValueError(
                    f"{owner}: example {j} of dimension {item['dimension_name']!r} needs "
                    "'text' and 'score'"
                )


class MetaPrompt(PromptTemplate):
    """Rates one text on several named dimensions, each shown with scored examples, and asks for
    the scores, 1 to 5, as a list on the answer's last line."""

    def __init__(self, dimensions: list[dict[str, Any]] | None = None) -> None:
        self.dimensions = dimensions if dimensions is not None else DEFAULT_DIMENSIONS

    def build_system_prompt(self) -> str:
        blocks = []
        for i, item in enumerate(self.dimensions, 1):
            examples = "\n".join(
                f'  - scored {ex["score"]}: "{ex["text"]}"' for ex in item["example_list"]
            )
            blocks.append(f"{i}. {item['dimension_name']}: {item['description']}\n{examples}")
        n = len(self.dimensions)
        return (
            f"You judge the quality of texts on {n} dimensions. Each dimension below comes with "
            "example texts and the scores they deserve; higher is better.\n\n"
            + "\n".join(blocks)
            + "\n\nFor each dimension write a short paragraph of assessment, then give it a whole "
            "score: 5 excellent, 4 good, 3 fair, 2 poor, 1 very poor. Finish with one line "
            f"holding only the {n} scores, in the order above, as a list such as "
            f"[{', '.join(['4'] * n)}]."
        )

    def build_prompt(self, text: str) -> str:
        n = len(self.dimensions)
        return (
            "Assess this text:\n\n"
            f"{text}\n\n"
            f"End with a line holding the {n} scores as a list, e.g. "
            f"[{', '.join(f'score{i}' for i in range(1, n + 1))}]."
        )


class Phi4QAGeneratorPrompt(PromptTemplate):
    """Rewrites a passage as a series of question/answer turns (phi-4's pre-training recipe)."""

    def build_prompt(self, content: str) -> str:
        return (
            "Turn the passage below into a conversation for teaching: a sequence of questions a "
            "curious reader would ask, each followed by a full, accurate answer drawn from the "
            "passage. Cover everything the passage says; add nothing it does not say.\n"
            "Write only the turns, one per line, exactly in this form:\n"
            "Question: ... Answer: ...\n"
            "Question: ... Answer: ...\n\n"
            f"Passage:\n{content}"
        )
