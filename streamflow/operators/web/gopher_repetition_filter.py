"""Gopher's repetition rules (Rae et al. 2021, app. A.1.1, table A1): repeated lines,
paragraphs and word n-grams.

Common behaviour: see :mod:`streamflow.operators.web._web_filter`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from itertools import accumulate, compress, islice
from operator import ne

from streamflow.operators.web._web_filter import Rules, _WebFilter, above, duplicates
from streamflow.operators.web.tokens import web_words

__all__ = ["GOPHER_DUP_NGRAMS", "GOPHER_TOP_NGRAMS", "GopherRepetitionFilter"]

GOPHER_TOP_NGRAMS = ((2, 0.20), (3, 0.18), (4, 0.16))
GOPHER_DUP_NGRAMS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")


def _top_ngram_chars(words: list[str], n: int) -> int:
    """Characters of the most frequent n-gram (joined by spaces) times its count; the first
    seen wins a tie."""
    if len(words) < n:
        return 0
    counts = Counter(zip(*(islice(words, k, None) for k in range(n)), strict=False))
    gram, count = counts.most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


def _first_occurrences(keys: Sequence[Hashable]) -> list[int]:
    """For each key, the index where it first occurs (C-speed: one dict, no Python loop)."""
    table: dict[Hashable, int] = {}
    return list(map(table.setdefault, keys, range(len(keys))))


def _ngram_firsts(words: list[str], n: int) -> list[int]:
    return _first_occurrences(list(zip(*(islice(words, k, None) for k in range(n)), strict=False)))


def _dup_ngram_chars(firsts: list[int], prefix: list[int], n: int) -> int:
    """Characters (spaces not counted) of the n-grams that repeat an earlier one, each word
    counted once, from each n-gram's first-occurrence index (``firsts``) and the prefix sums of
    word lengths.

    Exactly datatrove's scan (left to right; an n-gram seen before at a position the scan
    visited is counted and the scan jumps past it, else it is remembered and the scan moves one
    word on), but only positions whose n-gram occurred earlier are looked at: any other position
    is a first occurrence, remembered if the scan visits it, that is unless it lies inside a
    jump.
    """
    m = len(firsts)
    jumps: list[int] = []  # positions of counted repeats; the scan skips the n - 1 after each
    revisited: set[int] = set()  # n-grams remembered at a repeat whose earlier copies were skipped
    chars = resume = 0
    for i in compress(range(m), map(ne, firsts, range(m))):
        if i < resume:
            continue
        first = firsts[i]
        k = bisect_right(jumps, first) - 1
        if first in revisited or not (k >= 0 and first < jumps[k] + n):
            chars += prefix[i + n] - prefix[i]
            jumps.append(i)
            resume = i + n
        else:
            revisited.add(first)
    return chars


def _dup_ngram_fracs(words: list[str], ns: Sequence[int]) -> Iterator[int]:
    """:func:`_dup_ngram_chars` for each n of ``ns``. An n-gram is keyed by the first
    occurrences of the two b-grams that cover it (b the smallest n), so only b-grams are built;
    when no b-gram repeats, no longer n-gram does either."""
    prefix = [0, *accumulate(map(len, words))]
    b = min(ns)
    base = _ngram_firsts(words, b)
    repeats = any(map(ne, base, range(len(base))))
    for n in ns:
        if not repeats or len(words) < n:
            yield 0
        elif n == b:
            yield _dup_ngram_chars(base, prefix, n)
        elif b < n <= 2 * b:
            pairs = list(zip(base, islice(base, n - b, None), strict=False))
            yield _dup_ngram_chars(_first_occurrences(pairs), prefix, n)
        else:
            yield _dup_ngram_chars(_ngram_firsts(words, n), prefix, n)


class GopherRepetitionFilter(_WebFilter):
    """Gopher's repetition filter (Rae et al. 2021, app. A.1.1, table A1).

    Drops a document when more than these fractions of it repeat (defaults are table A1's; a
    document exactly at a limit is kept):

    - lines that duplicate an earlier line, by count (``dup_line_frac``, 0.30) and by
      characters (``dup_line_char_frac``, 0.20); paragraphs the same (``dup_para_frac`` 0.30,
      ``dup_para_char_frac`` 0.20);
    - characters in the most frequent word n-gram, times its count, for each ``(n, fraction)``
      of ``top_ngrams`` (2: 0.20, 3: 0.18, 4: 0.16);
    - characters in word n-grams that repeat an earlier one, for each ``(n, fraction)`` of
      ``dup_ngrams`` (5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10).

    Fractions of characters are of the whole text. As in datatrove: lines are the non-empty
    lines (a line of spaces or tabs counts, and repeats like any other) and paragraphs are
    separated by two or more newlines; the first occurrence of a repeated line,
    paragraph or n-gram does not count, only its repeats; a top n-gram's characters include the
    spaces between its words, a duplicated n-gram's do not, and once an n-gram is found repeated
    the scan skips past it, so overlapping repeats are not counted twice (the paper's "taking
    care not to count characters that occur in overlapping n-grams more than once"). Words are
    :func:`web_words`'s tokens, punctuation included, as datatrove's are.
    Measurements: ``dup_para_frac``, ``dup_para_char_frac``, ``dup_line_frac``,
    ``dup_line_char_frac``, ``top_{n}gram_char_frac`` and ``dup_{n}gram_char_frac``.
    """

    prefix = "gopher repetition"

    def __init__(
        self,
        dup_line_frac: float = 0.30,
        dup_para_frac: float = 0.30,
        dup_line_char_frac: float = 0.20,
        dup_para_char_frac: float = 0.20,
        top_ngrams: Sequence[tuple[int, float]] = GOPHER_TOP_NGRAMS,
        dup_ngrams: Sequence[tuple[int, float]] = GOPHER_DUP_NGRAMS,
    ) -> None:
        self.dup_line_frac = dup_line_frac
        self.dup_para_frac = dup_para_frac
        self.dup_line_char_frac = dup_line_char_frac
        self.dup_para_char_frac = dup_para_char_frac
        self.top_ngrams = tuple((int(n), float(f)) for n, f in top_ngrams)
        self.dup_ngrams = tuple((int(n), float(f)) for n, f in dup_ngrams)

    def _rules(self, text: str) -> Rules:
        size = len(text) or 1
        paragraphs = _PARAGRAPH_BREAK.split(text.strip())
        n_dup, chars = duplicates(paragraphs)
        frac = n_dup / (len(paragraphs) or 1)
        yield "dup_para_frac", frac, above("duplicate paragraphs", frac, self.dup_para_frac)
        frac = chars / size
        label = "characters in duplicate paragraphs"
        yield "dup_para_char_frac", frac, above(label, frac, self.dup_para_char_frac)
        lines = [line for line in text.split("\n") if line]
        n_dup, chars = duplicates(lines)
        frac = n_dup / (len(lines) or 1)
        yield "dup_line_frac", frac, above("duplicate lines", frac, self.dup_line_frac)
        frac = chars / size
        label = "characters in duplicate lines"
        yield "dup_line_char_frac", frac, above(label, frac, self.dup_line_char_frac)
        words = web_words(text)
        for n, limit in self.top_ngrams:
            frac = _top_ngram_chars(words, n) / size
            label = f"characters in the top {n}-gram"
            yield f"top_{n}gram_char_frac", frac, above(label, frac, limit)
        ns = [n for n, _ in self.dup_ngrams]
        fracs = _dup_ngram_fracs(words, ns) if ns else iter(())
        for (n, limit), chars in zip(self.dup_ngrams, fracs, strict=True):
            frac = chars / size
            label = f"characters in duplicate {n}-grams"
            yield f"dup_{n}gram_char_frac", frac, above(label, frac, limit)
