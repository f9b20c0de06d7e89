"""Words for the web-crawl quality rules: a stand-in for spaCy's English tokeniser.

Gopher and FineWeb count words with a word tokeniser; datatrove, the library that
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

__all__ = ["TOKEN", "has_letter", "is_word", "web_words"]

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
TOKEN = re.compile(
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
"""One token of the text (see the module docstring); ``TOKEN.findall`` is :func:`web_words`."""
is_word = re.compile(r"[^\W_]").search
"""Whether a token is a word (has a letter or digit), not punctuation."""
has_letter = re.compile(_LETTER).search
"""Whether a token has a letter."""


def web_words(text: str) -> list[str]:
    """The tokens of ``text``: words and punctuation marks, split as the module docstring says."""
    return TOKEN.findall(text)
