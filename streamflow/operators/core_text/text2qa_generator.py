"""Text2QAGenerator: short, verifiable QA pairs from a text, in two LLM steps."""

from __future__ import annotations

import json
from typing import Any

from streamflow.operators._dropping import Drop, DroppingRowGenerator
from streamflow.operators.core_text.qa_prompts import (
    Text2QAAutoPromptGeneratorPrompt,
    Text2QASeedQuestionGeneratorPrompt,
)
from streamflow.operators.llm import LLMOperator
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["Text2QAGenerator", "parse_q_a"]


class Text2QAGenerator(LLMOperator, DroppingRowGenerator):
    """Up to ``input_question_num`` rows per text, each with a generated extraction prompt,
    question and answer (child ids ``parent/k``).

    Step 1 asks the model for a JSON list of instructions suited to the text; step 2 runs each
    of the first ``input_question_num`` instructions on the text and parses ``Q: ... A: ...``.
    Pairs with an empty question or answer are left out; a text that yields none is dropped with
    the reason (DataFlow drops it too). A step-1 answer that is not a JSON list fails the row
    (DataFlow skips it with a warning). ``input_question_num`` is a ``run()`` parameter, as in
    DataFlow.
    """

    ALLOWED_PROMPTS = (Text2QAAutoPromptGeneratorPrompt, Text2QASeedQuestionGeneratorPrompt)

    def __init__(self, llm_serving: LLMServing | None = None) -> None:
        self._use(llm_serving)
        self.prompt_template = Text2QAAutoPromptGeneratorPrompt()
        self.seed_prompt = Text2QASeedQuestionGeneratorPrompt()

    def run(self, storage: Any, **keys: Any) -> None:
        """``input_question_num`` is a number, not a field: it travels as ``question_num``."""
        if "input_question_num" in keys:
            keys["question_num"] = keys.pop("input_question_num")
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "text",
        question_num: int = 1,
        output_prompt_key: str = "generated_prompt",
        output_question_key: str = "generated_question",
        output_answer_key: str = "generated_answer",
    ) -> list[list[Row] | Drop | Failure]:
        texts = [r.get(input_key) if isinstance(r.get(input_key), str) else None for r in rows]
        first = await self.ask(
            [self.prompt_template.build_prompt(t) if t and t.strip() else None for t in texts],
        )
        instructions: list[list[str] | Drop | Failure] = []
        for answer in first:
            if answer is None:
                instructions.append(Drop(f"empty field {input_key!r}"))
            elif isinstance(answer, Failure):
                instructions.append(answer)
            else:
                parsed = _string_list(answer)
                instructions.append(
                    parsed[: max(question_num, 0)] if isinstance(parsed, list) else Failure(parsed)
                )
        prompts = [
            p + self.seed_prompt.build_prompt() + str(text)
            for text, ps in zip(texts, instructions, strict=True)
            if isinstance(ps, list)
            for p in ps
        ]
        answers = iter(await self.ask(prompts))
        out: list[list[Row] | Drop | Failure] = []
        for row, ps in zip(rows, instructions, strict=True):
            if not isinstance(ps, list):
                out.append(ps)
                continue
            children = []
            for prompt in ps:
                answer = next(answers)
                if not isinstance(answer, str):
                    continue
                question, reply = parse_q_a(answer)
                if question and reply:
                    children.append(
                        {
                            **row,
                            output_prompt_key: prompt,
                            output_question_key: question,
                            output_answer_key: reply,
                        }
                    )
            out.append(children or Drop("no answer in 'Q: ... A: ...' form"))
        return out


def parse_q_a(answer: str) -> tuple[str, str]:
    """The first ``Q:`` line and the first ``A:`` line of an answer (case-insensitive)."""
    lines = [line.strip() for line in answer.strip().splitlines()]
    question = next((line[2:].strip() for line in lines if line.lower().startswith("q:")), "")
    reply = next((line[2:].strip() for line in lines if line.lower().startswith("a:")), "")
    return question, reply


def _string_list(answer: str) -> list[str] | str:
    text = answer.strip()
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        return f"no JSON list of instructions in the answer: {answer[:120]!r}"
    try:
        data = json.loads(text[start : end + 1])
    except ValueError as exc:
        return f"invalid JSON list of instructions ({exc}): {answer[:120]!r}"
    items = [str(x).strip() for x in data if isinstance(x, str) and str(x).strip()]
    return items or f"empty list of instructions: {answer[:120]!r}"
