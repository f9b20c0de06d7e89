"""A scripted 'model' for the reasoning pipelines' tests: a reply for every reasoning template,
chosen from the prompt, deterministic, with a few rows it rejects or gets wrong on purpose."""

from __future__ import annotations

import json
import re

WRONG = "Two fair six-sided dice"
"""Problems containing this are solved wrongly (the ground-truth filter must drop them)."""
ILL_POSED = "Compute the value"
"""Problems containing this are judged ill-posed by the question filter."""


def reply(prompt: str) -> str | list[str]:
    if '"judgement_test"' in prompt:
        bad = ILL_POSED in prompt
        return json.dumps({"judgement_test": not bad, "error_type": "vague" if bad else None})
    if '"judgement_result"' in prompt:
        return json.dumps({"judgement_result": "Reference answer: Anna" in prompt})
    if "Rating:" in prompt:
        return "Summary: arithmetic.\nRating: 2.5\nReason: a few steps."
    if "taxonomy" in prompt:
        return json.dumps({"primary_category": "7", "secondary_category": "7.2"})
    if "Write a new" in prompt:
        seed = re.search(r"Original (?:problem|task): (.*)", prompt)
        return f"A variant of: {seed.group(1) if seed else '?'}"
    if "#Judgement#" in prompt:
        return "#Judgement#: True\n#Explanation#: complete."
    if "#New Problem#" in prompt:
        first = prompt.split("#Problem 1#\n")[1].split("\n")[0]
        kind = (
            "sequential"
            if "#Elements Identified#" in prompt
            else "parallel"
            if "#Core Elements#" in prompt
            else "conditional"
        )
        text = f"#Plan#: combine.\n#New Problem#: {first} Then double it ({kind})."
        return [text, text + " Variant b."] if kind == "conditional" else text
    if prompt.startswith("Solve the"):
        question = re.search(r"(?:Problem|Task): (.*)", prompt)
        return solve(question.group(1) if question else "")
    raise AssertionError(f"no scripted reply for: {prompt[:200]!r}")


ANSWERS = {
    "muffins for $3 each and cookies": "21",
    "train travels 180": "288",
    "positive divisors of 36": "91",
    "3x - 7 = 2x + 5": "12",
    "perimeter of 46 cm": "120",
    "Tom reads 12 pages": "90",
    WRONG: "\\frac{1}{3}",
    "ratio 3:5": "25",
    "A shirt costs $40": "33",
    "Anna is older": "Anna",
}


def solve(question: str) -> str:
    answer = next((a for key, a in ANSWERS.items() if key in question), None)
    if answer is None:
        return "Solution:\n→ I am not sure how to do this one."
    return f"Solution:\n→ Work it out step by step.\n→ So the result is \\boxed{{{answer}}}"
