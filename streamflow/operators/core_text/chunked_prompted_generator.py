"""ChunkedPromptedGenerator: inputs too long for one request, split by tokens and answered
chunk by chunk.

Common behaviour of the LLM operators: see :mod:`streamflow.operators.llm`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from streamflow.actors.base import Generator
from streamflow.operators.llm import (
    DEFAULT_SYSTEM_PROMPT,
    LLMOperator,
    has_content,
    split_by_tokens,
    with_answer,
)
from streamflow.prompts.base import as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing
from streamflow.serving.tokens import token_counter

__all__ = ["ChunkedPromptedGenerator"]


class ChunkedPromptedGenerator(LLMOperator, Generator):
    """Generates from inputs too long for one request: split, one request per chunk, joined.

    Text is halved at the whitespace nearest its middle until every chunk has at most
    ``max_chunk_len`` tokens (DataFlow halves at the middle character). Tokens are counted with
    ``enc`` (anything with ``encode(text)``, e.g. a tiktoken encoding or a Hugging Face
    tokenizer), else with the serving's ``tokenizer`` when it exposes one, else estimated at
    four UTF-8 bytes a token. Each chunk is sent as ``system_prompt`` + newline + chunk; the
    answers are joined with ``separator``. A row fails if any of its chunks does.

    Bind either ``input_key``/``output_key`` (text in, text out) or, as in DataFlow,
    ``input_path_key``/``output_path_key`` (a file path in; the answers are written to
    ``<stem>_llm_output.txt`` beside it and that path goes out).
    """

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        json_schema: dict[str, Any] | None = None,
        max_chunk_len: int = 128000,
        enc: Any = None,
        separator: str = "\n",
    ) -> None:
        if max_chunk_len < 1:
            raise ValueError(f"max_chunk_len must be >= 1, got {max_chunk_len}")
        self._use(llm_serving)
        self.system_prompt = system_prompt
        self.json_schema = json_schema
        self.max_chunk_len = max_chunk_len
        self.enc = enc
        self.separator = separator

    def run(self, storage: Any, **keys: Any) -> None:
        """Check that exactly one of the two bindings is used, and complete it."""
        by_text = keys.get("input_key") is not None
        by_path = keys.get("input_path_key") is not None
        if by_text == by_path:
            raise ValueError(
                f"{self.name}.run needs exactly one of input_key=... (text) or "
                "input_path_key=... (a file path)"
            )
        if by_text:
            keys.setdefault("output_key", "generated_content")
        elif keys.get("output_path_key") is None:
            raise ValueError(f"{self.name}.run with input_path_key needs output_path_key=...")
        super().run(storage, **keys)

    async def process(
        self,
        rows: list[Row],
        input_key: str | None = None,
        output_key: str | None = None,
        input_path_key: str | None = None,
        output_path_key: str | None = None,
    ) -> list[Row | Failure]:
        count = token_counter(self.llm_serving, self.enc)
        texts: list[str | Failure] = []
        for row in rows:
            if input_path_key is not None:
                texts.append(await _read(row.get(input_path_key)))
            else:
                value = row.get(input_key or "")
                texts.append(as_text(value) if value is not None else "")
        chunked = [
            split_by_tokens(t, self.max_chunk_len, count) if isinstance(t, str) and t else []
            for t in texts
        ]
        prompts = [f"{self.system_prompt}\n{c}" for chunks in chunked for c in chunks]
        answers = iter(await self.ask(prompts, json_schema=self.json_schema))
        out: list[Row | Failure] = []
        for row, text, chunks in zip(rows, texts, chunked, strict=True):
            parts = [next(answers) for _ in chunks]
            failure = text if isinstance(text, Failure) else _first_failure(parts)
            if failure is not None:
                out.append(failure)
                continue
            joined = self.separator.join(str(p) for p in parts)
            if input_path_key is not None and output_path_key is not None:
                source = Path(str(row[input_path_key]))
                target = source.with_name(f"{source.stem}_llm_output.txt")
                await anyio.Path(target).write_text(joined, encoding="utf-8")
                out.append(with_answer(row, output_path_key, str(target)))
            else:
                out.append(with_answer(row, output_key or "generated_content", joined))
        return out


def _first_failure(parts: list[str | Failure | None]) -> Failure | None:
    for k, part in enumerate(parts):
        if isinstance(part, Failure):
            return Failure(f"chunk {k + 1}/{len(parts)}: {part.reason}")
    return None


async def _read(path: Any) -> str | Failure:
    if not has_content(path):
        return Failure("no file path in the input field")
    try:
        return await anyio.Path(str(path)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Failure(f"cannot read {path}: {exc}")
