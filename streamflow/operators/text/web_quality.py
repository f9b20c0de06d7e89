"""Web-crawl quality filters: Gopher (MassiveWeb), C4 and FineWeb rules, and a URL blocklist.

These are the heuristic filters that turn extracted web text into pre-training data, as
published with Gopher (Rae et al. 2021, appendix A), T5's C4 (Raffel et al. 2020, section 2.2)
and FineWeb (Penedo et al. 2024, section 3.3). Each rule, parameter and default follows the
paper; where the paper leaves something open (how words are split, which lines count, whether a
limit is inclusive), the choice follows the reference implementation named in the class, and
the docstring says so. Common to all of them:

- A dropped row records the rule and the measured value, e.g.
  ``"gopher: mean word length 11.2 > max 10"``; an empty text is dropped as ``"empty text"``.
- ``output_key``, when bound, receives a dict of every measurement the filter makes (its keys
  are listed in each class), for tuning thresholds. When it is not bound, a filter stops at the
  first rule that fails.
- A missing field raises ``KeyError`` and a non-string value ``TypeError``, naming the filter
  and the field: the runtime sends that row to the dead letters.

**Words.** Gopher and FineWeb count words with a word tokeniser; datatrove, the library that
built FineWeb, uses spaCy's English tokeniser for English. :func:`web_words` stands in for it
with one precompiled regex (no model, nothing downloaded): text is split at whitespace, and
punctuation marks become tokens of their own, as spaCy's prefix, suffix and infix rules make
them. Kept whole: numbers with inner separators (``3.5``, ``1,000``, ``10:30``, ``1/2``),
dotted names and abbreviations (``example.com``, ``U.S.``, ``e.g.``, ``Dr.``, ``z.``, a word
ending in a single capital and a period such as ``GmbH.``), inner apostrophes (``O'Neil``),
letter-digit hyphens (``COVID-19``), URLs, ``@handles``, ``C++``, a trailing hyphen
(``Strom-`` of "Strom- und Gaspreise") and runs of ``|``, ``-``, ``\\``, ``~``, ``^``
(``|---|``). Split off: other punctuation, one mark per token (an ellipsis ``...``/``…`` is one
token), hyphens between letters or digits (``well - known``, ``1990 - 2000``), ``,`` between
letters, the clitics ``'s 're 'll 've 'd 'm`` and ``n't`` (``do n't``), units after numbers
(``10 km``). On the text of the 109 pages in ``shared/data/web-pages`` (trafilatura's test
set; 109,265 spaCy tokens) this gives spaCy's tokens for 99.2% of them; most of the rest are
spaCy's English-only exceptions (it splits German "im" into "i", "m", "dont" into "do", "nt"),
left out on purpose.
A *word* is a token with a letter or digit in it; the other tokens are punctuation.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from itertools import accumulate, compress, islice
from operator import ne
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from streamflow.actors.base import Filter
from streamflow.actors.registry import register_operator
from streamflow.operators.fields import text_field
from streamflow.operators.text.refiners import TextRefiner
from streamflow.rows import Row

Verdict = bool | tuple[bool, str]
Measure = int | float | None
Rules = Iterator[tuple[str, Measure, str | None]]
"""What a filter's ``_rules`` yields: (measurement name, value, why it fails or None)."""

# -- words ----------------------------------------------------------------------------------------

_LOWER = "a-zß-öø-ÿ"
_UPPER = "A-ZÀ-ÖØ-Þ"
_LETTER = r"[^\W\d_]"
_CLITIC = r"(?:[sSdDmM]|re|RE|ll|LL|ve|VE)(?!\w)"
_ABBREVIATIONS = (  # noqa: SIM905 - a word list reads better as words
    "Mr Mrs Ms Dr Prof St Jr Sr Rev Gen Gov Sen Rep Adm Bros Co co Corp Inc Ltd Messrs Mt vs "
    "v.s e.g E.g i.e I.e a.m p.m Ph.D Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
).split()
_GLUE = (  # punctuation spaCy splits off only at the ends of a chunk, never inside it
    r"[^\w\s.,:/<>=\-–—~…'’+*^¦©®°\ufffc\ufffd\u2190-\u2bff\U00010000-\U0010ffff]"
)
_ABBREVIATION = "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
_JOIN = (  # what may stand between two runs of word characters inside one token
    rf"(?<![{_LOWER}.])\.(?!\.)|\.(?![{_UPPER}.])"  # 3.5, example.com, U.S; not end.Start, a...b
    rf"|(?<!{_LETTER}),|,(?!{_LETTER})"  # 1,000; not a,b
    rf"|(?<![^\W_])[-–—~]|[–—~](?!{_LETTER})"  # 2579–2605, COVID-19; not well-known, 3-year
    rf"|-(?!{_LETTER})(?!(?<=\d-)\d)"  # not 1990-2000
    rf"|[:/<>=](?!{_LETTER})"  # 10:30, 1/2; not and/or
    rf"|['’](?!{_CLITIC})"  # O'Neil; not it's
    r"|[+*^](?!\d)|(?<!\d)[+*^]"  # not 2+2
    rf"|{_GLUE}"  # text[2, super().setUpClass, H&M
)
_TAIL = (  # what may end a token after its last word character
    rf"(?:(?<=(?<![{_UPPER}])[{_UPPER}])\.|(?<=(?<![\w.])[{_LOWER}])\."  # U.S., GmbH., z.
    rf"|(?<={_LETTER})\++|[-|/\\@^~=§]+)(?!\w)"  # C++, Strom-, Platz/
)
_UNITS = (  # spaCy splits these off a number: 10km -> 10 km
    "km|kg|mg|µg|lb|oz|cm|mm|dm|µm|nm|ha|yd|in|ft|m|g|t|mph|kmh|hPa|Pa|mbar|mb|MB|kb|KB|gb|GB"
    "|tb|TB|T|G|M|K|%"
)
_TOKEN = re.compile(
    r"[^\W\d_]+(?=\s|[,;]\s|[,;]?\Z)"  # fast path: a plain word, what most tokens are
    r"|(?:https?|ftp)://[^\s<>\"]*[^\s<>\"'.,;:!?)\]}]"
    r"|\.\.+|…+"
    rf"|['’]{_CLITIC}"
    r"|(?i:n['’]t)(?!\w)"
    r"|(?=\w*[nN]['’][tT](?!\w))\w+?(?=(?i:n['’]t)(?!\w))"
    rf"|(?=[\w.]{{1,5}}\.(?!\w))(?:{_ABBREVIATION})\.(?!\w)"
    r"|(?<![^\W_])_"
    rf"|(?=[^\W\d_]*\d)\w*?\d(?=(?:{_UNITS})[²³]?(?!\w))"
    rf"|(?:(?<!\w)[-@|/\\^~]+)?\w+(?:(?:{_JOIN})+\w+)*(?:{_TAIL})?"
    r"|[-|\\~^@+]+"
    r"|\S"
)
_IS_WORD = re.compile(r"[^\W_]").search
_HAS_LETTER = re.compile(_LETTER).search


def web_words(text: str) -> list[str]:
    """The tokens of ``text``: words and punctuation marks, split as the module docstring says."""
    return _TOKEN.findall(text)


def _nonblank_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _duplicates(items: Iterable[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters (first occurrences not
    counted): Gopher's duplicate line and paragraph measure."""
    seen: set[str] = set()
    n = chars = 0
    for item in items:
        if item in seen:
            n += 1
            chars += len(item)
        else:
            seen.add(item)
    return n, chars


def _fmt(x: float, limit: float | None = None) -> str:
    """``x`` to 3 significant digits, more where that would print it equal to ``limit``."""
    if isinstance(x, int):
        return str(x)
    for digits in (3, 6, 17):
        s = f"{x:.{digits}g}"
        if limit is None or x == limit or float(s) != limit:
            break
    return s


def _above(label: str, value: float, limit: float, inclusive: bool = False) -> str | None:
    """Why ``value`` fails a maximum (reached counts as failing when ``inclusive``), or None."""
    if value > limit or (inclusive and value == limit):
        return f"{_measured(label, value, limit)} {'>=' if inclusive else '>'} max {limit}"
    return None


def _below(label: str, value: float, limit: float, inclusive: bool = False) -> str | None:
    """Why ``value`` fails a minimum (reached counts as failing when ``inclusive``), or None."""
    if value < limit or (inclusive and value == limit):
        return f"{_measured(label, value, limit)} {'<=' if inclusive else '<'} min {limit}"
    return None


def _measured(label: str, value: float, limit: float) -> str:
    """The label with the value after it (``mean word length 2.5``), or in place of ``{}``
    (``49 words``)."""
    shown = _fmt(value, limit)
    return label.format(shown) if "{}" in label else f"{label} {shown}"


class _WebFilter(Filter):
    """Runs ``_rules`` on each row's text; the first rule that fails gives the reason."""

    prefix: ClassVar[str] = ""

    def process(
        self, rows: list[Row], input_key: str, output_key: str | None = None
    ) -> list[Verdict]:
        name = self.name
        out: list[Verdict] = []
        for row in rows:
            text = text_field(name, row, input_key)
            measures, reason = self.check(text, full=output_key is not None)
            if output_key is not None:
                row[output_key] = measures
            if not text:
                reason = "empty text"
            elif reason is not None:
                reason = f"{self.prefix}: {reason}"
            out.append(True if reason is None else (False, reason))
        return out

    def check(self, text: str, full: bool = False) -> tuple[dict[str, Measure] | None, str | None]:
        """The measurements (every one when ``full``, else None) and why ``text`` fails, or
        None when it passes. Safe on ``""``."""
        measures: dict[str, Measure] | None = {} if full else None
        reason = None
        for key, value, why in self._rules(text):
            if measures is not None:
                measures[key] = value
            if why is not None and reason is None:
                reason = why
                if measures is None:
                    break
        return measures, reason

    def _rules(self, text: str) -> Rules:
        raise NotImplementedError


# -- Gopher -------------------------------------------------------------------------------------

GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_BULLETS = ("-", "•", "‣", "◦", "▪", "▫", "●", "○", "■", "□", "►", "▶", "➢", "*")
_ELLIPSES = ("...", "…")


@register_operator("text")
class GopherQualityFilter(_WebFilter):
    """Gopher's MassiveWeb quality filter (Rae et al. 2021, "Scaling Language Models", app. A.1.1).

    Keeps a document when all of these hold (defaults are the paper's; limits are inclusive,
    so a document exactly at one is kept):

    - ``min_words`` (50) <= words <= ``max_words`` (100,000);
    - ``min_mean_word_length`` (3) <= mean word length <= ``max_mean_word_length`` (10);
    - "#" per token <= ``max_symbol_word_ratio`` (0.1), and the same for ellipses ("...", "…");
    - lines starting with a bullet <= ``max_bullet_lines_ratio`` (0.9) of the lines;
    - lines ending with an ellipsis <= ``max_ellipsis_lines_ratio`` (0.3) of the lines;
    - tokens containing a letter >= ``min_alpha_words_ratio`` (0.8) of the tokens;
    - at least ``min_stop_words`` (2) distinct words of ``stop_words`` (the, be, to, of, and,
      that, have, with), matched case-sensitively as datatrove does: English prose always has
      "the" and "of" in lower case, while a German page with an English title ("The Sound of
      ...") would pass on its capitalised ones if case were folded.

    Words and tokens are :func:`web_words`'s (see the module docstring): word count and mean
    length take words only, the "#", ellipsis and letter ratios divide by every token,
    punctuation included, as datatrove does. Lines are the non-blank lines. The bullets are
    ``- • ‣ ◦ ▪ ▫ ● ○ ■ □ ► ▶ ➢ *`` (datatrove checks "•" and "-" only). The stop words make
    the filter English-only, as in the paper; pass another language's list to use it elsewhere.
    Measurements: ``words``, ``mean_word_length``, ``hash_ratio``, ``ellipsis_ratio``,
    ``bullet_lines_ratio``, ``ellipsis_lines_ratio``, ``alpha_words_ratio``, ``stop_words``.
    """

    prefix = "gopher"

    def __init__(
        self,
        min_words: int = 50,
        max_words: int = 100_000,
        min_mean_word_length: float = 3,
        max_mean_word_length: float = 10,
        max_symbol_word_ratio: float = 0.1,
        max_bullet_lines_ratio: float = 0.9,
        max_ellipsis_lines_ratio: float = 0.3,
        min_alpha_words_ratio: float = 0.8,
        min_stop_words: int = 2,
        stop_words: Sequence[str] = GOPHER_STOP_WORDS,
    ) -> None:
        self.min_words = min_words
        self.max_words = max_words
        self.min_mean_word_length = min_mean_word_length
        self.max_mean_word_length = max_mean_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.min_alpha_words_ratio = min_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self._stop_words = frozenset(stop_words)

    def _rules(self, text: str) -> Rules:
        tokens = web_words(text)
        words = list(filter(_IS_WORD, tokens))
        n = len(words)
        yield (
            "words",
            n,
            _below("{} words", n, self.min_words) or _above("{} words", n, self.max_words),
        )
        mean = sum(map(len, words)) / n if n else 0.0
        label = "mean word length"
        yield (
            "mean_word_length",
            mean,
            (
                _below(label, mean, self.min_mean_word_length)
                or _above(label, mean, self.max_mean_word_length)
            ),
        )
        n_tokens = len(tokens) or 1
        ratio = text.count("#") / n_tokens
        yield "hash_ratio", ratio, _above("'#' per token", ratio, self.max_symbol_word_ratio)
        ratio = (text.count("...") + text.count("…")) / n_tokens
        yield (
            "ellipsis_ratio",
            ratio,
            _above("ellipses per token", ratio, self.max_symbol_word_ratio),
        )
        lines = _nonblank_lines(text)
        n_lines = len(lines) or 1
        ratio = sum(1 for line in lines if line.lstrip().startswith(_BULLETS)) / n_lines
        label = "lines starting with a bullet"
        yield "bullet_lines_ratio", ratio, _above(label, ratio, self.max_bullet_lines_ratio)
        ratio = sum(1 for line in lines if line.rstrip().endswith(_ELLIPSES)) / n_lines
        label = "lines ending with an ellipsis"
        yield "ellipsis_lines_ratio", ratio, _above(label, ratio, self.max_ellipsis_lines_ratio)
        ratio = sum(1 for _ in filter(_HAS_LETTER, tokens)) / n_tokens
        label = "tokens with a letter"
        yield "alpha_words_ratio", ratio, _below(label, ratio, self.min_alpha_words_ratio)
        k = len(self._stop_words.intersection(words))
        yield "stop_words", k, _below("{} distinct stop words", k, self.min_stop_words)


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


@register_operator("text")
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
        n_dup, chars = _duplicates(paragraphs)
        frac = n_dup / (len(paragraphs) or 1)
        yield "dup_para_frac", frac, _above("duplicate paragraphs", frac, self.dup_para_frac)
        frac = chars / size
        label = "characters in duplicate paragraphs"
        yield "dup_para_char_frac", frac, _above(label, frac, self.dup_para_char_frac)
        lines = [line for line in text.split("\n") if line]
        n_dup, chars = _duplicates(lines)
        frac = n_dup / (len(lines) or 1)
        yield "dup_line_frac", frac, _above("duplicate lines", frac, self.dup_line_frac)
        frac = chars / size
        label = "characters in duplicate lines"
        yield "dup_line_char_frac", frac, _above(label, frac, self.dup_line_char_frac)
        words = web_words(text)
        for n, limit in self.top_ngrams:
            frac = _top_ngram_chars(words, n) / size
            label = f"characters in the top {n}-gram"
            yield f"top_{n}gram_char_frac", frac, _above(label, frac, limit)
        ns = [n for n, _ in self.dup_ngrams]
        fracs = _dup_ngram_fracs(words, ns) if ns else iter(())
        for (n, limit), chars in zip(self.dup_ngrams, fracs, strict=True):
            frac = chars / size
            label = f"characters in duplicate {n}-grams"
            yield f"dup_{n}gram_char_frac", frac, _above(label, frac, limit)


# -- C4 -----------------------------------------------------------------------------------------

C4_POLICY_PHRASES = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
C4_END_MARKS = (".", "?", "!", '"')
_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
_SENTENCE_ENDS = frozenset(".!?。！？｡．")


def _sentences(line: str) -> int:
    """Sentences in ``line``: a new one starts at the first word after a token that is a
    sentence-ending mark (``.``, ``!``, ``?`` and CJK ones), as spaCy's sentencizer splits."""
    n = 1
    after_end = False
    for token in _TOKEN.findall(line):
        if token in _SENTENCE_ENDS:
            after_end = True
        elif after_end and _IS_WORD(token):
            n += 1
            after_end = False
    return n


class _C4Rules:
    """C4's line rules, shared by :class:`C4QualityFilter` and :class:`C4LineRefiner`."""

    def __init__(
        self,
        min_words_per_line: int,
        min_sentences: int,
        max_word_length: int,
        end_marks: Sequence[str],
        remove_citations: bool,
        policy_phrases: Sequence[str],
    ) -> None:
        self.min_words_per_line = min_words_per_line
        self.min_sentences = min_sentences
        self.max_word_length = max_word_length
        self.end_marks = tuple(end_marks)
        self.remove_citations = remove_citations
        self.policy_phrases = tuple(p.lower() for p in policy_phrases)

    def clean(self, text: str) -> tuple[list[str], int, int, str | None]:
        """(kept lines, their sentences, lines read, why the whole page goes or None)."""
        kept: list[str] = []
        sentences = 0
        lines = text.splitlines()
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if self.max_word_length >= 0 and any(
                len(w) > self.max_word_length for w in line.split()
            ):
                continue
            if self.remove_citations and "[" in line:
                line = _CITATION.sub("", line)
            if not line.endswith(self.end_marks) or line.endswith("..."):
                continue
            if len(line.split()) < self.min_words_per_line:
                continue
            lower = line.lower()
            if "lorem ipsum" in lower:
                return kept, sentences, len(lines), "'lorem ipsum' in the text"
            if "javascript" in lower:
                continue
            if "{" in line:
                return kept, sentences, len(lines), "curly bracket '{' in the text"
            if any(p in lower for p in self.policy_phrases):
                continue
            sentences += _sentences(line)
            kept.append(line)
        return kept, sentences, len(lines), None


class _C4Operator:
    """The parameters C4QualityFilter and C4LineRefiner share (they mean the same in both)."""

    def __init__(
        self,
        min_words_per_line: int = 5,
        min_sentences: int = 3,
        max_word_length: int = 1000,
        end_marks: Sequence[str] = C4_END_MARKS,
        remove_citations: bool = True,
        policy_phrases: Sequence[str] = C4_POLICY_PHRASES,
    ) -> None:
        self._c4 = _C4Rules(
            min_words_per_line,
            min_sentences,
            max_word_length,
            end_marks,
            remove_citations,
            policy_phrases,
        )


@register_operator("text")
class C4QualityFilter(_C4Operator, _WebFilter):
    """C4's page rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", sec. 2.2).

    C4 cleans a page line by line, then keeps the page only if enough is left. As in C4's
    reference implementation (``tensorflow_datasets/text/c4_utils.py``, ``clean_page``), each
    line is stripped and dropped when it has a word longer than ``max_word_length`` (1000); has
    its citation markers ("[1]", "[edit]", "[citation needed]") removed; is dropped unless it
    ends in a terminal mark of ``end_marks`` (``. ? ! "``, not an ellipsis "..."), has
    ``min_words_per_line`` (5) whitespace-separated words, and mentions neither "javascript"
    nor a policy phrase ("terms of use", "privacy policy", "cookie policy", "uses cookies",
    "use of cookies", "use cookies"), case-insensitively. The page is dropped when a line
    that survives those rules contains "lorem ipsum" (any case) or a curly bracket "{", or
    when the surviving lines hold fewer than ``min_sentences`` (3) sentences. The numbers are
    the paper's and c4_utils' (datatrove's defaults swap them: 3 words per line, 5 sentences).

    **A filter does not rewrite text.** In streamflow a Filter only keeps or drops a row (see
    ``streamflow.actors.base.Filter``), so this filter decides on the page as C4 would clean it
    but leaves the text as it is; :class:`C4LineRefiner` removes the lines. Use both, in either
    order, to get C4's output: the line rules are idempotent (save for nested markers such as
    "[[1]]", which lose one layer per pass), so the filter decides the same on cleaned text,
    and the refiner's output is the same on kept rows. (datatrove's
    C4QualityFilter rewrites ``doc.text`` inside the filter.)

    Sentences are counted as spaCy's sentencizer counts them (datatrove), see
    :func:`_sentences`; C4 used nltk's punkt model, which also knows abbreviations and
    initials, so counts differ on lines such as "Dr. Smith arrived.". The rules look for English
    words (javascript, policy phrases); the sentence and word counts work for any language
    written with spaces. Measurements: ``kept_lines``, ``lines``, ``sentences``.
    """

    prefix = "c4"

    def _rules(self, text: str) -> Rules:
        kept, sentences, lines, page_reason = self._c4.clean(text)
        yield "lines", lines, None
        if page_reason is not None:
            yield "kept_lines", None, page_reason
            yield "sentences", None, None
            return
        yield "kept_lines", len(kept), None
        need = self._c4.min_sentences
        why = f"{sentences} sentences in the {len(kept)} of {lines} lines kept < min {need}"
        yield "sentences", sentences, why if sentences < need else None


@register_operator("text")
class C4LineRefiner(_C4Operator, TextRefiner):
    """Removes the lines C4 removes (Raffel et al. 2020, sec. 2.2), the text half of C4.

    Keeps the lines :class:`C4QualityFilter` keeps, stripped, with their citation markers
    removed, joined by newlines; the parameters are the filter's and mean the same. It decides
    nothing about the page: put :class:`C4QualityFilter` before or after it to drop the pages
    C4 drops (a page the filter keeps comes out exactly as c4_utils' ``clean_page`` writes it).
    On a page the filter would drop for "lorem ipsum" or "{", the lines kept before that line
    are returned.
    """

    def refine(self, text: str) -> str:
        return "\n".join(self._c4.clean(text)[0])


# -- FineWeb ------------------------------------------------------------------------------------

FINEWEB_STOP_CHARS = tuple(".!?。！？｡．؟۔।॥။።፧᙮‼‽⁇⁈⁉")
"""Sentence-ending marks of the main scripts (a subset of Unicode's Sentence_Terminal)."""


@register_operator("text")
class FineWebQualityFilter(_WebFilter):
    """FineWeb's own quality rules (Penedo et al. 2024, "The FineWeb Datasets", sec. 3.3).

    Drops a document when, over its non-blank lines:

    - the fraction ending in a terminal mark of ``stop_chars`` is <= ``line_punct_thr`` (0.12);
    - the fraction of at most ``short_line_length`` (30) characters is >= ``short_line_thr``
      (0.67);
    - characters in lines that repeat an earlier line, over the characters of the text
      without newlines, are >= ``char_duplicates_ratio`` (0.01);
    - newlines per word (all :func:`web_words` tokens) are > ``new_line_ratio`` (0.3).

    Limits are inclusive, as the paper words them ("<= 0.12", ">= 0.1", ">= 0.67") and as the
    code that built FineWeb (datatrove, April 2024) applied them; today's datatrove drops only
    strictly beyond them. ``char_duplicates_ratio`` is 0.01 in that code and so in FineWeb,
    though the paper prints 0.1: pass 0.1 for the paper's number. The newline rule is in the
    code, not the paper. ``line_punct_exclude_zero`` keeps documents with no line ending in a
    mark (for languages whose lines end otherwise). A line counts as ending in a mark when its
    last character is one, trailing spaces not stripped (datatrove). The marks are those of the
    main scripts, so the filter works beyond English (datatrove lists every Unicode sentence
    terminal). Measurements: ``line_punct_ratio``, ``short_line_ratio``, ``char_dup_ratio``,
    ``new_line_ratio``.
    """

    prefix = "fineweb"

    def __init__(
        self,
        line_punct_thr: float = 0.12,
        line_punct_exclude_zero: bool = False,
        stop_chars: Sequence[str] = FINEWEB_STOP_CHARS,
        short_line_thr: float = 0.67,
        short_line_length: int = 30,
        char_duplicates_ratio: float = 0.01,
        new_line_ratio: float = 0.3,
    ) -> None:
        self.line_punct_thr = line_punct_thr
        self.line_punct_exclude_zero = line_punct_exclude_zero
        self.stop_chars = tuple(stop_chars)
        self.short_line_thr = short_line_thr
        self.short_line_length = short_line_length
        self.char_duplicates_ratio = char_duplicates_ratio
        self.new_line_ratio = new_line_ratio

    def _rules(self, text: str) -> Rules:
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            yield "line_punct_ratio", None, "no non-blank lines"
            return
        n = len(lines)
        ratio = sum(1 for line in lines if line.endswith(self.stop_chars)) / n
        label = "lines ending in punctuation"
        why = _below(label, ratio, self.line_punct_thr, inclusive=True)
        if ratio == 0 and self.line_punct_exclude_zero:
            why = None
        yield "line_punct_ratio", ratio, why
        short = self.short_line_length
        ratio = sum(1 for line in lines if len(line) <= short) / n
        label = f"lines of <= {short} characters"
        yield "short_line_ratio", ratio, _above(label, ratio, self.short_line_thr, inclusive=True)
        ratio = _duplicates(lines)[1] / ((len(text) - text.count("\n")) or 1)
        label = "characters in duplicate lines"
        limit = self.char_duplicates_ratio
        yield "char_dup_ratio", ratio, _above(label, ratio, limit, inclusive=True)
        ratio = text.count("\n") / (len(web_words(text)) or 1)
        yield "new_line_ratio", ratio, _above("newlines per word", ratio, self.new_line_ratio)


# -- URL blocklist ------------------------------------------------------------------------------

_URL_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


def _host(url: str) -> str:
    """The host of ``url``, lower case, without port, user or trailing dot; "" if none."""
    url = url.strip()
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        host = parts.hostname or ""
    except ValueError:
        return ""
    return _ascii_host(host.rstrip("."))


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def _domain_entry(entry: str) -> str:
    """A blocklist entry as a bare host: "*.example.com", ".example.com", "https://example.com/x"
    and "Example.COM" all give "example.com"."""
    entry = entry.strip()
    if "/" in entry or ":" in entry:
        entry = _host(entry)
    return _ascii_host(entry.lstrip("*").lstrip(".").rstrip("."))


def read_domain_list(path: str | Path) -> frozenset[str]:
    """The domains in a file: one per line; blank lines and ``#`` comments are skipped."""
    with open(path, encoding="utf-8") as f:
        return frozenset(d for line in f if (d := _domain_entry(line.split("#", 1)[0])))


@register_operator("text")
class UrlBlocklistFilter(Filter):
    """Drops rows whose URL's host, or any domain above it, is blocklisted.

    The usual first step of a web-crawl pipeline (FineWeb, RefinedWeb, datatrove's URLFilter):
    with ``domains={"example.com"}``, ``https://www.example.com/a``,
    ``http://ads.example.com:8080/`` and ``example.com`` are dropped, ``notexample.com`` is not.
    ``domains`` and the file ``domains_path`` (one domain per line, ``#`` comments) are merged;
    entries may be written ``*.example.com``, ``.example.com`` or as a URL. Hosts and entries
    are compared lower-cased, internationalised names in their ASCII (punycode) form.

    ``banned_words`` drops a URL that contains one of them as a whole word, the URL lower-cased
    and split at every character but a-z and 0-9 (``casino`` matches ``/best-casino/``, not
    ``/casinoroyale``); ``banned_subwords`` matches anywhere in the URL, lower-cased.

    streamflow ships no list: pass your own (the UT1 blocklists FineWeb used, for instance).
    Constructing the filter with nothing to block raises ``ValueError``, since an empty
    blocklist is almost always a mistake. A row whose URL has no host is kept unless a word
    matches. A reason names the rule and what matched: ``"url blocklist: domain example.com
    (host www.example.com)"``.
    """

    def __init__(
        self,
        domains: Iterable[str] = (),
        domains_path: str | Path | None = None,
        banned_words: Iterable[str] = (),
        banned_subwords: Iterable[str] = (),
    ) -> None:
        if isinstance(domains, str):
            raise TypeError(f"{self.name}: domains must be a collection of domains, not a string")
        blocked = {d for d in map(_domain_entry, domains) if d}
        if domains_path is not None:
            blocked |= read_domain_list(domains_path)
        self.domains = frozenset(blocked)
        self.banned_words = frozenset(w.strip().lower() for w in banned_words if w.strip())
        self.banned_subwords = tuple(w.strip().lower() for w in banned_subwords if w.strip())
        if not (self.domains or self.banned_words or self.banned_subwords):
            raise ValueError(
                f"{self.name}: the blocklist is empty; pass domains, domains_path, banned_words "
                "or banned_subwords (an empty list would keep every row)"
            )

    def process(self, rows: list[Row], input_key: str = "url") -> list[Verdict]:
        name = self.name
        check = self.check
        out: list[Verdict] = []
        for row in rows:
            reason = check(text_field(name, row, input_key))
            out.append(True if reason is None else (False, f"url blocklist: {reason}"))
        return out

    def check(self, url: str) -> str | None:
        """Why ``url`` is blocked, or None."""
        if self.domains:
            host = _host(url)
            domain = host
            while domain:
                if domain in self.domains:
                    return f"domain {domain} (host {host})" if domain != host else f"domain {host}"
                _, _, domain = domain.partition(".")
        if self.banned_words or self.banned_subwords:
            lower = url.lower()
            if self.banned_words:
                for word in _URL_WORD_SPLIT.split(lower):
                    if word in self.banned_words:
                        return f"banned word {word!r} in the URL"
            for sub in self.banned_subwords:
                if sub in lower:
                    return f"banned subword {sub!r} in the URL"
        return None


__all__ = [
    "C4LineRefiner",
    "C4QualityFilter",
    "FineWebQualityFilter",
    "GopherQualityFilter",
    "GopherRepetitionFilter",
    "UrlBlocklistFilter",
    "web_words",
]
