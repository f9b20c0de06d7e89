"""Text2MultiHopQAGenerator, and the multi-hop QA construction it shares with
KBCMultiHopQAGeneratorBatch.

As in DataFlow: a text passes quality checks (100 to 200,000 characters, at least two sentence
ends, at most 30% special characters); every window of three consecutive sentences whose first
two are substantial is a candidate context; the model writes one multi-hop QA pair (JSON:
question, reasoning_steps, answer, supporting_facts, type) per context; pairs that do not parse
or repeat a question are left out; the metadata gives the source and a complexity score.

Deliberate difference: DataFlow asks for a pair for *every* window and keeps the first
``num_q``; here only ``num_q`` windows are asked for, spread evenly over the text, so a long
chunk costs ``num_q`` requests instead of one per sentence.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from streamflow.operators._dropping import Drop, DroppingRowGenerator
from streamflow.operators.core_text.qa_prompts import Text2MultiHopQAGeneratorPrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["MultiHopQA", "Text2MultiHopQAGenerator", "parse_qa_objects"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ceaf]")


@dataclass
class MultiHopQA:
    """What both multi-hop generators do with one text (``ask``: the operator's own)."""

    ask: Callable[..., Awaitable[list[str | Failure | None]]]
    prompt: Any
    lang: str = "en"
    num_q: int = 5
    min_length: int = 100
    max_length: int = 200_000

    def check(self, text: Any) -> str | None:
        """Why ``text`` cannot give multi-hop questions, or None when it can."""
        if not isinstance(text, str):
            return "no text"
        text = text.strip()
        if not self.min_length <= len(text) <= self.max_length:
            return f"text length {len(text)} outside [{self.min_length}, {self.max_length}]"
        mark = "。" if self.lang in ("zh", "ch") else "."
        if text.count(mark) < 2:
            return "fewer than two sentences"
        special = sum(1 for c in text if not (c.isalnum() or c.isspace() or _CJK.match(c)))
        if special / len(text) > 0.3:
            return "more than 30% special characters"
        return None

    def contexts(self, text: str) -> list[str]:
        mark = "。" if self.lang in ("zh", "ch") else "."
        sentences = [s.strip() for s in text.strip().split(mark) if s.strip()]
        windows = [
            f"{sentences[i]}{mark} {sentences[i + 1]}{mark} {sentences[i + 2]}"
            for i in range(len(sentences) - 2)
            if len(sentences[i]) > 10 and len(sentences[i + 1]) > 10
        ]
        if len(windows) <= self.num_q:
            return windows
        step = (len(windows) - 1) / max(self.num_q - 1, 1)
        return [windows[round(k * step)] for k in range(self.num_q)]

    async def generate(self, texts: list[Any]) -> list[list[dict[str, Any]] | str | Failure]:
        """Per text: its QA pairs, or why there are none (a string), or a failed request."""
        reasons = [self.check(t) for t in texts]
        contexts = [
            self.contexts(str(t)) if r is None else [] for t, r in zip(texts, reasons, strict=True)
        ]
        prompts = [self.prompt.build_prompt(c) for cs in contexts for c in cs]
        system = (
            self.prompt.build_system_prompt() if hasattr(self.prompt, "build_system_prompt") else ""
        )
        answers = iter(await self.ask(prompts, system_prompt=system))
        out: list[list[dict[str, Any]] | str | Failure] = []
        for reason, cs in zip(reasons, contexts, strict=True):
            if reason is not None:
                out.append(reason)
                continue
            got = [next(answers) for _ in cs]
            failures = [a for a in got if isinstance(a, Failure)]
            if failures and len(failures) == len(got):
                out.append(failures[0])
                continue
            pairs: list[dict[str, Any]] = []
            seen: set[str] = set()
            for answer in got:
                if not isinstance(answer, str):
                    continue
                for qa in parse_qa_objects(answer):
                    key = str(qa["question"]).strip().lower()
                    if key and key not in seen:
                        seen.add(key)
                        pairs.append(qa)
            out.append(
                pairs[: self.num_q]
                if pairs
                else "no usable QA pair in the answers"
                if cs
                else "no context of three substantial sentences"
            )
        return out


_FIELD = r'"{}"\s*:\s*"((?:[^"\\]|\\.)*)"'


def parse_qa_objects(answer: str) -> list[dict[str, Any]]:
    """Every JSON object with a ``question`` in an answer: the whole answer, or each balanced
    ``{...}`` inside it, or -- for an answer cut off by the token limit -- the ``question`` and
    ``answer`` strings it got to write (the prompt asks for them first)."""
    text = answer.strip()
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text, flags=re.I)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict) and d.get("question")]
    found: list[dict[str, Any]] = []
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                try:
                    item = json.loads(text[start : i + 1])
                except ValueError:
                    continue
                if isinstance(item, dict) and item.get("question"):
                    found.append(item)
    if not found:
        question = re.search(_FIELD.format("question"), text)
        reply = re.search(_FIELD.format("answer"), text)
        if question and reply and question.group(1).strip() and reply.group(1).strip():
            with contextlib.suppress(ValueError):
                found.append(
                    {
                        "question": json.loads(f'"{question.group(1)}"'),
                        "answer": json.loads(f'"{reply.group(1)}"'),
                        "truncated": True,
                    }
                )
    return found


def complexity(pairs: list[dict[str, Any]]) -> float:
    """DataFlow's score: reasoning steps, supporting facts, question and answer length."""
    if not pairs:
        return 0.0
    scores = []
    for qa in pairs:
        steps = len(qa.get("reasoning_steps") or [])
        facts = len(qa.get("supporting_facts") or [])
        question = len(str(qa.get("question", "")).split())
        answer = len(str(qa.get("answer", "")).split())
        scores.append(
            min(steps / 3, 1.0) * 0.4
            + min(facts / 3, 1.0) * 0.3
            + min(question / 20, 1.0) * 0.15
            + min(answer / 50, 1.0) * 0.15
        )
    return sum(scores) / len(scores)


class Text2MultiHopQAGenerator(LLMOperator, DroppingRowGenerator):
    """Writes up to ``num_q`` multi-hop QA pairs of ``input_key`` to ``output_key`` and
    ``{source, timestamp, complexity}`` to ``output_meta_key``.

    A row that yields no pair (text too short, no usable answer) is dropped with the reason,
    as DataFlow drops it. The row keeps its id's lineage: ``parent/0``.
    """

    ALLOWED_PROMPTS = (Text2MultiHopQAGeneratorPrompt,)

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        seed: int = 0,
        lang: str = "en",
        prompt_template: Text2MultiHopQAGeneratorPrompt | DIYPromptABC | None = None,
        num_q: int = 5,
    ) -> None:
        self.check_prompt_template(prompt_template)
        self._use(llm_serving)
        self.seed = seed
        self.lang = lang
        self.num_q = num_q
        self.prompt_template = prompt_template or Text2MultiHopQAGeneratorPrompt(lang=lang)
        self._qa = MultiHopQA(self.ask, self.prompt_template, lang, num_q)

    async def process(
        self,
        rows: list[Row],
        input_key: str = "cleaned_chunk",
        output_key: str = "QA_pairs",
        output_meta_key: str = "QA_metadata",
    ) -> list[list[Row] | Drop | Failure]:
        results = await self._qa.generate([row.get(input_key) for row in rows])
        out: list[list[Row] | Drop | Failure] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, Failure):
                out.append(result)
            elif isinstance(result, str):
                out.append(Drop(result))
            else:
                source = row.get("source")
                meta = {
                    "source": source if isinstance(source, str) else "default_source",
                    "timestamp": "",
                    "complexity": complexity(result),
                }
                out.append([{**row, output_key: result, output_meta_key: meta}])
        return out
