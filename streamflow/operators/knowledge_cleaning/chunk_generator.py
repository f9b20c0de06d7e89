"""KBCChunkGenerator and KBCChunkGeneratorBatch: documents into token chunks.

DataFlow reads a text file per row (``text_path``) and splits it with chonkie's token chunker
and a Hugging Face tokenizer it downloads (``bert-base-uncased``). Here the splitting is
:func:`~streamflow.operators.knowledge_cleaning.chunking.chunk_markdown`: token windows that
respect headings, with overlap and page numbers, and no download (word tokens by default, or a
local ``tokenizer.json`` as ``tokenizer_name``). ``split_method`` accepts DataFlow's ``"token"``
only; sentence, semantic and recursive splitting are not offered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamflow.actors.base import Generator, RowGenerator
from streamflow.operators.knowledge_cleaning.chunking import Chunk, chunk_markdown, load_tokenizer
from streamflow.rows import Failure, Row

__all__ = ["KBCChunkGenerator", "KBCChunkGeneratorBatch", "read_document"]

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".xml")
JSON_SUFFIXES = (".json", ".jsonl")


class _Chunker:
    def _configure(
        self,
        chunk_size: int,
        chunk_overlap: int,
        split_method: str,
        min_tokens_per_chunk: int,
        tokenizer_name: str | None,
    ) -> None:
        if split_method != "token":
            raise ValueError(
                f"split_method {split_method!r} is not offered; use 'token' (token windows "
                "that respect headings)"
            )
        if chunk_size < 1 or not 0 <= chunk_overlap < chunk_size:
            raise ValueError(
                f"need chunk_size >= 1 and 0 <= chunk_overlap < chunk_size, got "
                f"{chunk_size} and {chunk_overlap}"
            )
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.min_tokens_per_chunk = min_tokens_per_chunk
        self.tokenizer = load_tokenizer(tokenizer_name)

    def _chunks(self, text: str) -> list[Chunk]:
        return chunk_markdown(
            text,
            self.tokenizer,
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            min_tokens=self.min_tokens_per_chunk,
        )


class KBCChunkGenerator(_Chunker, RowGenerator):
    """One row per chunk of each document, the parent's fields kept; child ids ``doc/k``.

    Bind ``input_key`` to a file path field (DataFlow's ``text_path``: .md, .txt, .xml, or
    JSON/JSONL with a ``text``/``content``/``body`` field) or ``input_text_key`` to the text
    itself (a PDF source row's ``text``). ``output_key`` gets the chunk's text and
    ``output_meta_key`` ``{index, start, end, tokens, page_start, page_end, heading}``
    (character offsets in the document with page markers removed; pages where known).
    A missing or unreadable file fails its row, naming the file.
    """

    def __init__(
        self,
        chunk_size: int = 512,
        chunk_overlap: int = 50,
        split_method: str = "token",
        min_tokens_per_chunk: int = 100,
        tokenizer_name: str | None = None,
    ) -> None:
        self._configure(
            chunk_size, chunk_overlap, split_method, min_tokens_per_chunk, tokenizer_name
        )

    def run(self, storage: Any, **keys: Any) -> None:
        """Exactly one of ``input_key`` (a path) and ``input_text_key`` (the text)."""
        if keys.get("input_text_key") is not None:
            keys["input_key"] = None
        super().run(storage, **keys)

    def process(
        self,
        rows: list[Row],
        input_key: str | None = "text_path",
        output_key: str = "raw_chunk",
        input_text_key: str | None = None,
        output_meta_key: str | None = "chunk_meta",
    ) -> list[list[Row] | Failure]:
        out: list[list[Row] | Failure] = []
        for row in rows:
            text = _row_text(row, input_key, input_text_key)
            if isinstance(text, Failure):
                out.append(text)
                continue
            children = []
            for chunk in self._chunks(text):
                child = {**row, output_key: chunk.text}
                if output_meta_key is not None:
                    child[output_meta_key] = _meta(chunk)
                children.append(child)
            out.append(children)
        return out


class KBCChunkGeneratorBatch(_Chunker, Generator):
    """Chunks each document into a JSON file; ``output_key`` gets the file's path.

    As in DataFlow: the file is ``<document folder>/extract/<stem>_chunk.json``, a list of
    ``{"raw_chunk": text, "chunk_meta": {...}}``, which KBCTextCleanerBatch and
    KBCMultiHopQAGeneratorBatch then read and extend in place. Rows stay rows; use
    :class:`KBCChunkGenerator` for chunks as rows.
    """

    def __init__(
        self,
        chunk_size: int = 512,
        chunk_overlap: int = 50,
        split_method: str = "token",
        min_tokens_per_chunk: int = 100,
        tokenizer_name: str | None = None,
    ) -> None:
        self._configure(
            chunk_size, chunk_overlap, split_method, min_tokens_per_chunk, tokenizer_name
        )

    def process(
        self, rows: list[Row], input_key: str = "text_path", output_key: str = "chunk_path"
    ) -> list[Row | Failure]:
        out: list[Row | Failure] = []
        for row in rows:
            text = _row_text(row, input_key, None)
            if isinstance(text, Failure):
                out.append(text)
                continue
            source = Path(str(row[input_key]))
            target = source.parent / "extract" / f"{source.stem}_chunk.json"
            items = [{"raw_chunk": c.text, "chunk_meta": _meta(c)} for c in self._chunks(text)]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
            out.append({**row, output_key: str(target)})
        return out


def read_document(path: str) -> str:
    """The text of a document file: Markdown/text as is, JSON(L) joined from its text fields."""
    file = Path(path)
    if file.suffix.lower() in JSON_SUFFIXES:
        raw = file.read_text(encoding="utf-8")
        records: Any
        if file.suffix.lower() == ".jsonl":
            records = [json.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            records = json.loads(raw)
        records = records if isinstance(records, list) else [records]
        for name in ("text", "content", "body"):
            texts = [
                r[name] for r in records if isinstance(r, dict) and isinstance(r.get(name), str)
            ]
            if texts:
                return "\n".join(texts)
        raise ValueError(f"{path}: no text, content or body field in the JSON records")
    return file.read_text(encoding="utf-8")


def _row_text(row: Row, path_key: str | None, text_key: str | None) -> str | Failure:
    if text_key is not None:
        value = row.get(text_key)
        return value if isinstance(value, str) else Failure(f"field {text_key!r} is not text")
    path = row.get(path_key or "")
    if not isinstance(path, str) or not path.strip():
        return Failure(f"field {path_key!r} holds no file path")
    try:
        return read_document(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return Failure(f"cannot read {path}: {exc}")


def _meta(chunk: Chunk) -> dict[str, Any]:
    return {
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "tokens": chunk.tokens,
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "heading": chunk.heading,
    }
