"""KBCTextCleaner and KBCTextCleanerBatch: an LLM rewrite of raw chunks that keeps every fact."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import anyio

from streamflow.actors.base import Generator
from streamflow.operators.knowledge_cleaning.prompts import KnowledgeCleanerPrompt
from streamflow.operators.llm import LLMOperator
from streamflow.prompts.base import DIYPromptABC
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["KBCTextCleaner", "KBCTextCleanerBatch", "extract_cleaned_text"]

_CLEANED = re.compile(r"<cleaned_start>\s*(.*?)\s*(?:<cleaned_end>|$)", re.S | re.I)
_ANSWER = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.S | re.I)
_LEAKED_STEPS = re.compile(
    r"\n\s*(?:processing steps|处理步骤)\s*[:：].*$", re.S | re.I
)  # a model that recites its checklist after the text


def extract_cleaned_text(answer: str) -> str:
    """The cleaned text in a model's answer: between the markers when present (an answer cut
    off before ``<cleaned_end>`` keeps what came), else the whole answer."""
    match = _CLEANED.search(answer) or _ANSWER.search(answer)
    text = match.group(1) if match else answer
    text = text.replace("<cleaned_start>", "").replace("<cleaned_end>", "")
    return _LEAKED_STEPS.sub("", text).strip()


class _Cleaner(LLMOperator):
    ALLOWED_PROMPTS: ClassVar[tuple[type, ...]] = (KnowledgeCleanerPrompt,)
    prompt_template: Any

    def _setup(
        self,
        llm_serving: LLMServing | None,
        lang: str,
        prompt_template: KnowledgeCleanerPrompt | DIYPromptABC | None,
    ) -> None:
        self.check_prompt_template(prompt_template)  # type: ignore[attr-defined]
        self._use(llm_serving)
        self.lang = lang
        self.prompt_template = prompt_template or KnowledgeCleanerPrompt(lang=lang)

    async def _clean(self, texts: list[str | None]) -> list[str | Failure | None]:
        prompts = [self.prompt_template.build_prompt(t) if t and t.strip() else None for t in texts]
        answers = await self.ask(prompts)
        out: list[str | Failure | None] = []
        for answer in answers:
            if answer is None or isinstance(answer, Failure):
                out.append(answer)
                continue
            cleaned = extract_cleaned_text(answer)
            out.append(
                cleaned if cleaned else Failure(f"no cleaned text in the answer: {answer[:120]!r}")
            )
        return out


class KBCTextCleaner(_Cleaner, Generator):
    """Writes the cleaned text of ``input_key`` to ``output_key``.

    The model is asked to drop extraction noise (markup, headers, page numbers, broken lines)
    and to keep every fact, number and term; the text between ``<cleaned_start>`` and
    ``<cleaned_end>`` is kept. An empty input gives ``""`` without a request; an answer with
    no text fails the row (DataFlow writes ``""``).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        lang: str = "en",
        prompt_template: KnowledgeCleanerPrompt | DIYPromptABC | None = None,
    ) -> None:
        self._setup(llm_serving, lang, prompt_template)

    async def process(
        self, rows: list[Row], input_key: str = "raw_chunk", output_key: str = "cleaned_chunk"
    ) -> list[Row | Failure]:
        texts = [r.get(input_key) if isinstance(r.get(input_key), str) else None for r in rows]
        cleaned = await self._clean(texts)
        return [
            c if isinstance(c, Failure) else {**row, output_key: c or ""}
            for row, c in zip(rows, cleaned, strict=True)
        ]


class KBCTextCleanerBatch(_Cleaner, Generator):
    """Cleans every chunk of a chunk file (from KBCChunkGeneratorBatch) in place.

    Each item of the JSON list gains ``cleaned_chunk``; ``output_key`` gets the file's path.
    A chunk whose cleaning fails fails the whole row (its file is left unchanged).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        lang: str = "en",
        prompt_template: KnowledgeCleanerPrompt | DIYPromptABC | None = None,
    ) -> None:
        self._setup(llm_serving, lang, prompt_template)

    async def process(
        self, rows: list[Row], input_key: str = "chunk_path", output_key: str = "cleaned_chunk_path"
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            path = row.get(input_key)
            items = await _read_items(path)
            if isinstance(items, Failure):
                out.append(items)
                continue
            cleaned = await self._clean([i.get("raw_chunk") for i in items])
            failure = next((c for c in cleaned if isinstance(c, Failure)), None)
            if failure is not None:
                out.append(Failure(f"{path}: {failure.reason}", transient=failure.transient))
                continue
            for item, text in zip(items, cleaned, strict=True):
                item["cleaned_chunk"] = text or ""
            await _write_items(str(path), items)
            out.append({**row, output_key: str(path)})
        return out


async def _read_items(path: Any) -> list[dict[str, Any]] | Failure:
    if not isinstance(path, str) or not path:
        return Failure("no chunk file path in the row")
    try:
        raw = await anyio.Path(path).read_text(encoding="utf-8")
        if path.endswith(".jsonl"):
            items = [json.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            items = json.loads(raw)
    except (OSError, ValueError) as exc:
        return Failure(f"cannot read chunk file {path}: {exc}")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return Failure(f"{path}: not a JSON list of chunk objects")
    return items


async def _write_items(path: str, items: list[dict[str, Any]]) -> None:
    if path.endswith(".jsonl"):
        text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    else:
        text = json.dumps(items, ensure_ascii=False, indent=1)
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    await anyio.Path(tmp).write_text(text, encoding="utf-8")
    await anyio.to_thread.run_sync(tmp.replace, target)
