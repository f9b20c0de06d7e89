"""Markdown with page markers: how converted documents carry their page numbers.

A converted PDF is one Markdown text in which every page starts with a marker line
``<!-- page N -->``. Markers are HTML comments, so any Markdown renderer hides them, and
:func:`split_pages` turns the text back into plain Markdown plus a table of where each page
starts, which is how chunks know the pages they come from.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PageMap", "join_pages", "page_marker", "split_pages"]

_MARKER = re.compile(r"^<!-- page (\d+) -->\n?", re.M)


def page_marker(number: int) -> str:
    """The marker line that opens page ``number`` (1-based)."""
    return f"<!-- page {number} -->"


def join_pages(pages: Iterable[tuple[int, str]]) -> str:
    """One Markdown text from ``(page number, page Markdown)`` pairs, each page marked."""
    return "\n\n".join(f"{page_marker(n)}\n{text.strip()}" for n, text in pages).strip() + "\n"


@dataclass(frozen=True, slots=True)
class PageMap:
    """Where each page starts in a text whose markers were removed."""

    starts: tuple[int, ...]
    numbers: tuple[int, ...]

    def page_at(self, offset: int) -> int | None:
        """The page holding character ``offset``; None for a text without markers."""
        if not self.starts:
            return None
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.numbers[max(i, 0)]

    def pages_between(self, start: int, end: int) -> tuple[int | None, int | None]:
        """First and last page of the characters ``[start, end)``."""
        return self.page_at(start), self.page_at(max(start, end - 1))


def split_pages(markdown: str) -> tuple[str, PageMap]:
    """Remove the page markers; return the text and where each page starts in it."""
    starts: list[int] = []
    numbers: list[int] = []
    parts: list[str] = []
    length = 0
    last = 0
    for match in _MARKER.finditer(markdown):
        piece = markdown[last : match.start()]
        parts.append(piece)
        length += len(piece)
        starts.append(length)
        numbers.append(int(match.group(1)))
        last = match.end()
    parts.append(markdown[last:])
    return "".join(parts), PageMap(tuple(starts), tuple(numbers))
