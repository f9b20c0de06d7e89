"""Token windows over Markdown that respect headings, with overlap and page numbers.

:func:`chunk_markdown` cuts a document into chunks of at most ``chunk_size`` tokens:

1. A heading line starts a new chunk once the current one holds ``min_tokens`` tokens, so a
   chunk rarely straddles two sections; chunks that start at a heading do not overlap the
   previous section.
2. Otherwise a chunk ends at the last paragraph break (a blank line) in the second half of its
   window, else the last sentence end, else after exactly ``chunk_size`` tokens; the next chunk
   then repeats the last ``chunk_overlap`` tokens.
3. Every chunk is an exact slice of the document's text (page markers removed), so the chunks
   together cover every token of the text, and ``page_start``/``page_end`` say where they lie.

Tokens come from a :class:`Tokenizer`: by default words and punctuation marks (``\\w+`` or one
other non-space character, offsets kept), or a Hugging Face ``tokenizers`` file for the exact
counts of a given model.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from streamflow.io.documents.markdown import split_pages

__all__ = ["Chunk", "HFTokenizer", "Tokenizer", "WordTokenizer", "chunk_markdown", "load_tokenizer"]

_WORD = re.compile(r"\w+|[^\w\s]")
_HEADING = re.compile(r"^#{1,6} ", re.M)
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"[.!?。！？](?=\s)")


class Tokenizer(Protocol):
    name: str

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character ``(start, end)`` of every token, in order."""
        ...


class WordTokenizer:
    """Words and single punctuation marks: deterministic, no model, close to BPE counts / 1.3."""

    name = "words"

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]


class HFTokenizer:
    """A Hugging Face tokenizer (a ``tokenizer.json`` file, or a folder holding one)."""

    def __init__(self, path: str | Path) -> None:
        from streamflow.extras import require

        tokenizers = require("tokenizers", "models", for_="token counts of a model's tokenizer")
        file = Path(path)
        if file.is_dir():
            file = file / "tokenizer.json"
        if not file.is_file():
            raise FileNotFoundError(f"no tokenizer.json at {path}")
        self.name = str(path)
        self._tokenizer: Any = tokenizers.Tokenizer.from_file(str(file))

    def spans(self, text: str) -> list[tuple[int, int]]:
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return [(s, e) for s, e in encoding.offsets if e > s]


def load_tokenizer(name: str | None) -> Tokenizer:
    """``None`` or ``"words"``: :class:`WordTokenizer`; a path: :class:`HFTokenizer`."""
    if name in (None, "", "words"):
        return WordTokenizer()
    path = Path(str(name)).expanduser()
    if path.exists():
        return HFTokenizer(path)
    raise ValueError(
        f"tokenizer {name!r} is not a tokenizer.json file or a folder holding one; models are "
        "not downloaded at run time: pass a local path, or None for word tokens"
    )


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    text: str
    start: int
    end: int
    tokens: int
    page_start: int | None
    page_end: int | None
    heading: str


def chunk_markdown(
    markdown: str,
    tokenizer: Tokenizer,
    *,
    chunk_size: int = 512,
    chunk_overlap: int = 50,
    min_tokens: int = 100,
) -> list[Chunk]:
    """The chunks of ``markdown`` (see the module's docstring)."""
    if chunk_size < 1 or not 0 <= chunk_overlap < chunk_size:
        raise ValueError(
            f"need chunk_size >= 1 and 0 <= chunk_overlap < chunk_size, got "
            f"{chunk_size}, {chunk_overlap}"
        )
    text, pages = split_pages(markdown)
    spans = tokenizer.spans(text)
    if not spans:
        return []
    starts = [s for s, _ in spans]
    heading_lines = [(m.start(), _line(text, m)) for m in _HEADING.finditer(text)]
    heading_offsets = [o for o, _ in heading_lines]
    headings = _token_indices(starts, heading_offsets)
    paragraphs = _token_indices(starts, [m.end() for m in _PARAGRAPH.finditer(text)])
    sentences = _token_indices(starts, [m.end() for m in _SENTENCE.finditer(text)])
    chunks: list[Chunk] = []
    i = 0
    n = len(spans)
    while i < n:
        limit = min(i + chunk_size, n)
        cut, fresh = limit, False
        heading = _first(headings, i + max(min_tokens, 1), limit if limit < n else limit - 1)
        if limit < n or heading is not None:
            if heading is not None:
                cut, fresh = heading, True
            elif limit < n:
                half = i + max(chunk_size // 2, 1)
                cut = _last(paragraphs, half, limit) or _last(sentences, half, limit) or limit
        start, end = spans[i][0], spans[cut - 1][1]
        first, last = pages.pages_between(start, end)
        chunks.append(
            Chunk(
                len(chunks),
                text[start:end],
                start,
                end,
                cut - i,
                first,
                last,
                _heading_at(heading_lines, heading_offsets, start),
            )
        )
        if cut >= n:
            break
        i = cut if fresh or chunk_overlap == 0 else max(cut - chunk_overlap, i + 1)
    return chunks


def _token_indices(starts: Sequence[int], offsets: list[int]) -> list[int]:
    """For each character offset, the index of the first token at or after it."""
    return sorted({bisect.bisect_left(starts, o) for o in offsets})


def _first(indices: list[int], low: int, high: int) -> int | None:
    k = bisect.bisect_left(indices, low)
    return indices[k] if k < len(indices) and indices[k] <= high else None


def _last(indices: list[int], low: int, high: int) -> int | None:
    k = bisect.bisect_right(indices, high) - 1
    return indices[k] if k >= 0 and indices[k] >= low else None


def _line(text: str, match: re.Match[str]) -> str:
    end = text.find("\n", match.start())
    return text[match.end() : end if end >= 0 else len(text)].strip()


def _heading_at(lines: list[tuple[int, str]], offsets: list[int], offset: int) -> str:
    """The title of the last heading at or before ``offset``."""
    k = bisect.bisect_right(offsets, offset) - 1
    return lines[k][1] if k >= 0 else ""
