"""DataFlow's rule-based (heuristic) text filters, for pre-training corpus cleaning.

Each filter keeps DataFlow's name, parameters, defaults and rule (``dataflow/operators/
general_text/filter/``); most rules come from Gopher, C4 and RefinedWeb. Where streamflow differs,
the filter's docstring says so. Common to all of them:

- A dropped row records why, with the measured value and the threshold it failed.
- ``output_key``, when bound, receives the measured value the rule compares with its threshold
  (DataFlow writes a 0/1 keep label there, which is always 1 on the rows that survive; the
  measurement is what a user tunes thresholds with). Filters that measure nothing write the
  0/1 label.
- An empty text is dropped, as every DataFlow heuristic filter does.
- A missing field raises ``KeyError`` and a non-string value ``TypeError``, naming the filter
  and the field: the runtime sends that row to the dead letters.
- nltk tokenisation (``use_tokenizer=True``) is replaced by a regex tokeniser, and nltk's stop
  words by the same list shipped as package data: nothing is downloaded at run time.

Rules that count whitespace-separated words or use English word lists are English-specific, as
in DataFlow; their docstrings say so. Text without spaces between words (Chinese, Japanese) has
few, long "words" under them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from streamflow.actors.base import Filter
from streamflow.actors.registry import register_operator
from streamflow.operators.fields import text_field
from streamflow.operators.text._words import (
    WORD_PUNCT,
    bundled_word_list,
    english_stopwords,
    read_word_list,
    tokenize,
)
from streamflow.rows import Row

Score = int | float | None
Verdict = bool | tuple[bool, str]

_SENTENCE = re.compile(r"\b[^.!?\n。！？]+[.!?。！？]*")
_ELLIPSES = ("...", "…")
_BULLETS = ("•", "‣", "▶", "◀", "◦", "■", "□", "▪", "▫", "–")
_HTML_ENTITY = re.compile(
    r"[&＆](?:nbsp|lt|gt|amp|quot|apos|hellip|ndash|mdash|lsquo|rsquo|ldquo|rdquo)"
)
_ID_TERM = re.compile(  # the lookahead lets the engine skip most positions cheaply
    r"(?=[iInNrR身])(?:身\s{0,10}份|\b(?:i(?:d\s{0,10}(?:number|no|card)|dentification|dentity"
    r"|c\s{0,10}number|\.d\.\s{0,10}number)|nric\s{0,10}number|resident\s{0,10}registration)\b)",
    re.IGNORECASE,
)
_NO_PUNC_SPLIT = re.compile(r"[–.!?,;•/|…\n]")
_SPECIAL = re.compile(
    r"u200e|&#247;|\? :|[�□]|\{/U\}"
    r"|U\+26[0-9A-F][0-9A-D]|U\+273[34]|U\+1F[3-6][0-4][0-9A-F]|U\+1F6[89A-F][0-9A-F]"
)
_LETTER = re.compile(r"[^\W\d_]")
_LOREM_IPSUM = re.compile(r"lorem ipsum", re.IGNORECASE)
_ASCII_PUNCT_AND_SPACE = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\f\v"
_NEVER = re.compile(r"(?!)")


def _words(text: str, use_tokenizer: bool) -> list[str]:
    return tokenize(text) if use_tokenizer else text.split()


def _nonblank_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


class _RuleFilter(Filter):
    """Runs ``check`` on each row's text; subclasses hold only their rule."""

    def process(
        self, rows: list[Row], input_key: str, output_key: str | None = None
    ) -> list[Verdict]:
        name = type(self).__name__
        check = self.check
        out: list[Verdict] = []
        for row in rows:
            text = text_field(name, row, input_key)
            score, reason = check(text)
            if output_key is not None:
                row[output_key] = score
            if not text:
                reason = "empty text"
            out.append(True if reason is None else (False, reason))
        return out

    def check(self, text: str) -> tuple[Score, str | None]:
        """The measured value and, when the rule rejects ``text``, why; safe on ``""``."""
        raise NotImplementedError


@register_operator("text")
class ColonEndFilter(_RuleFilter):
    """Drops text ending with a colon: an unfinished question or list intro (DataFlow).

    Differs from DataFlow: trailing whitespace is ignored and the full-width colon "：" counts.
    ``output_key`` gets the 0/1 keep label.
    """

    def check(self, text: str) -> tuple[Score, str | None]:
        if text.rstrip().endswith((":", "：")):
            return 0, "ends with a colon"
        return 1, None


@register_operator("text")
class SentenceNumberFilter(_RuleFilter):
    """Keeps text with ``min_sentences``..``max_sentences`` sentences (DataFlow, after Gopher).

    A sentence runs up to ``.``, ``!``, ``?`` or a line end; streamflow also ends sentences at
    "。！？", which DataFlow lists in its description but leaves out of its pattern.
    """

    def __init__(self, min_sentences: int = 3, max_sentences: int = 7500) -> None:
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences

    def check(self, text: str) -> tuple[Score, str | None]:
        n = len(_SENTENCE.findall(text))
        if n < self.min_sentences:
            return n, f"{n} sentences < min {self.min_sentences}"
        if n > self.max_sentences:
            return n, f"{n} sentences > max {self.max_sentences}"
        return n, None


@register_operator("text")
class LineEndWithEllipsisFilter(_RuleFilter):
    """Drops text where ``threshold`` or more of the lines end in an ellipsis (Gopher, DataFlow).

    Truncated snippets ("read more…") mark scraped listings rather than prose.
    """

    def __init__(self, threshold: float = 0.3) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        lines = _nonblank_lines(text)
        if not lines:
            return None, "no non-blank lines"
        ratio = sum(line.rstrip().endswith(_ELLIPSES) for line in lines) / len(lines)
        if ratio >= self.threshold:
            return ratio, f"lines ending with an ellipsis {ratio:.3g} >= max {self.threshold}"
        return ratio, None


@register_operator("text")
class ContentNullFilter(Filter):
    """Drops null, empty and whitespace-only text (DataFlow).

    Unlike the other filters, a ``None`` value is dropped rather than a ``TypeError``: finding
    nulls is this filter's job. ``output_key`` gets the 0/1 keep label.
    """

    def process(
        self, rows: list[Row], input_key: str, output_key: str | None = None
    ) -> list[Verdict]:
        out: list[Verdict] = []
        for row in rows:
            if row.get(input_key, "") is None:
                keep, reason = False, "null"
            else:
                keep = bool(text_field("ContentNullFilter", row, input_key).strip())
                reason = "" if keep else "empty or whitespace-only text"
            if output_key is not None:
                row[output_key] = int(keep)
            out.append(True if keep else (False, reason))
        return out


@register_operator("text")
class SymbolWordRatioFilter(_RuleFilter):
    """Drops text with ``threshold`` or more "#", "..." or "…" per word (Gopher, DataFlow).

    Words are counted as nltk's WordPunctTokenizer counts them (punctuation runs are words too).
    """

    def __init__(self, threshold: float = 0.4) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        n_words = len(WORD_PUNCT.findall(text))
        if not n_words:
            return None, "no words"
        ratio = (text.count("#") + text.count("...") + text.count("…")) / n_words
        if ratio >= self.threshold:
            return ratio, f"symbol/word ratio {ratio:.3g} >= max {self.threshold}"
        return ratio, None


@register_operator("text")
class AlphaWordsFilter(_RuleFilter):
    """Keeps text where more than ``threshold`` of the words contain a letter (Gopher, DataFlow).

    DataFlow requires both parameters; the defaults are those of its ``text_process.yaml``.
    Differs from DataFlow: any Unicode letter counts, not just a-z, so Chinese, Greek or
    Cyrillic text is not dropped wholesale.
    """

    def __init__(self, threshold: float = 0.6, use_tokenizer: bool = False) -> None:
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer

    def check(self, text: str) -> tuple[Score, str | None]:
        words = _words(text, self.use_tokenizer)
        if not words:
            return None, "no words"
        has_letter = _LETTER.search
        ratio = sum(1 for w in words if has_letter(w)) / len(words)
        if ratio <= self.threshold:
            return ratio, f"words with a letter {ratio:.3g} <= min {self.threshold}"
        return ratio, None


@register_operator("text")
class HtmlEntityFilter(_RuleFilter):
    """Drops text with HTML entities ("&nbsp", "&amp;", "＆lt；"): extraction debris (DataFlow).

    ``output_key`` gets the number of entities found.
    """

    def check(self, text: str) -> tuple[Score, str | None]:
        found = _HTML_ENTITY.findall(text)
        if found:
            return len(found), f"{len(found)} HTML entities (first {found[0]!r})"
        return 0, None


@register_operator("text")
class IDCardFilter(_RuleFilter):
    """Drops text naming identity documents ``threshold`` or more times: likely PII (DataFlow).

    The terms ("身份", "ID number", "ID card", "identity", "NRIC number", ...) are DataFlow's;
    streamflow matches the English ones as whole words, so "avoid noise" is not "id no".
    ``output_key`` gets the number of terms found.
    """

    def __init__(self, threshold: int = 3) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        n = len(_ID_TERM.findall(text))
        if n >= self.threshold:
            return n, f"{n} identity-document terms >= max {self.threshold}"
        return n, None


@register_operator("text")
class NoPuncFilter(_RuleFilter):
    """Drops text with a run of more than ``threshold`` words without punctuation (DataFlow).

    Long unpunctuated runs are keyword lists, navigation or code. The punctuation is DataFlow's
    (``– . ! ? , ; • / | …``) and words are whitespace-separated: English-specific.
    """

    def __init__(self, threshold: int = 112) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        longest = max((len(s.split()) for s in _NO_PUNC_SPLIT.split(text)), default=0)
        if longest > self.threshold:
            return longest, f"{longest} words without punctuation > max {self.threshold}"
        return longest, None


@register_operator("text")
class SpecialCharacterFilter(_RuleFilter):
    """Drops text with encoding debris: "�", "□", "{/U}", "&#247;", escaped code points (DataFlow).

    The patterns are DataFlow's, including the literal text "u200e" (a mangled escape of the
    left-to-right mark, not the mark itself) and "U+1F6xx"-style code point names.
    ``output_key`` gets the number of matches.
    """

    def check(self, text: str) -> tuple[Score, str | None]:
        found = _SPECIAL.findall(text)
        if found:
            return len(found), f"{len(found)} special characters (first {found[0]!r})"
        return 0, None


@register_operator("text")
class WatermarkFilter(_RuleFilter):
    """Drops text containing any of ``watermarks``, case-sensitive (DataFlow).

    Differs from DataFlow: the watermarks are literal strings, not regex fragments, and an
    empty list drops nothing. ``output_key`` gets the number of matches.
    """

    def __init__(
        self, watermarks: Sequence[str] = ("Copyright", "Watermark", "Confidential")
    ) -> None:
        self.watermarks = tuple(watermarks)
        terms = "|".join(re.escape(w) for w in self.watermarks if w)
        self._pattern = re.compile(terms) if terms else _NEVER

    def check(self, text: str) -> tuple[Score, str | None]:
        found = self._pattern.findall(text)
        if found:
            return len(found), f"watermark {found[0]!r} found ({len(found)}x)"
        return 0, None


@register_operator("text")
class MeanWordLengthFilter(_RuleFilter):
    """Keeps text whose mean word length is in [``min_length``, ``max_length``) (Gopher, DataFlow).

    Words are whitespace-separated: English-specific (a Chinese sentence is one long "word").
    The mean is rounded to two decimals before the comparison, as in DataFlow.
    """

    def __init__(self, min_length: float = 3, max_length: float = 10) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def check(self, text: str) -> tuple[Score, str | None]:
        words = text.split()
        if not words:
            return None, "no words"
        mean = round(sum(map(len, words)) / len(words), 2)
        if mean < self.min_length:
            return mean, f"mean word length {mean} < min {self.min_length}"
        if mean >= self.max_length:
            return mean, f"mean word length {mean} >= max {self.max_length}"
        return mean, None


@register_operator("text")
class StopWordFilter(_RuleFilter):
    """Keeps text where more than ``threshold`` of the words are English stop words (Gopher).

    Real prose is full of "the", "and", "of"; keyword spam and tables are not. At least three
    stop words are required too, as in DataFlow. The list is nltk's English one, shipped with
    streamflow: English-specific. DataFlow requires both parameters; the defaults are those of
    its ``text_process.yaml``.
    """

    def __init__(self, threshold: float = 0.06, use_tokenizer: bool = False) -> None:
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer
        self._stopwords = english_stopwords()

    def check(self, text: str) -> tuple[Score, str | None]:
        words = _words(text.lower(), self.use_tokenizer)
        n_stop = sum(map(self._stopwords.__contains__, words))
        ratio = n_stop / len(words) if words else 0.0
        if ratio <= self.threshold:
            return ratio, f"stop-word ratio {ratio:.3g} <= min {self.threshold}"
        if n_stop <= 2:
            return ratio, f"{n_stop} stop words <= min 2"
        return ratio, None


@register_operator("text")
class CurlyBracketFilter(_RuleFilter):
    """Drops text where "{" and "}" make up ``threshold`` or more of the characters (C4, DataFlow).

    Curly brackets mark code, templates and JSON, not natural language.
    """

    def __init__(self, threshold: float = 0.025) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        ratio = (text.count("{") + text.count("}")) / len(text) if text else 0.0
        if ratio >= self.threshold:
            return ratio, f"curly-bracket ratio {ratio:.3g} >= max {self.threshold}"
        return ratio, None


@register_operator("text")
class CapitalWordsFilter(_RuleFilter):
    """Drops text where more than ``threshold`` of the words are all capitals (DataFlow).

    Shouting, headings and boilerplate menus. Scripts without case (Chinese) never count.
    """

    def __init__(self, threshold: float = 0.2, use_tokenizer: bool = False) -> None:
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer

    def check(self, text: str) -> tuple[Score, str | None]:
        words = _words(text, self.use_tokenizer)
        ratio = sum(map(str.isupper, words)) / len(words) if words else 0.0
        if ratio > self.threshold:
            return ratio, f"all-capital words {ratio:.3g} > max {self.threshold}"
        return ratio, None


@register_operator("text")
class LoremIpsumFilter(_RuleFilter):
    """Drops placeholder text: "lorem ipsum" per character above ``threshold`` (C4, DataFlow).

    With the default 3e-8, one occurrence drops any text shorter than 33 million characters.
    """

    def __init__(self, threshold: float = 3e-8) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        ratio = len(_LOREM_IPSUM.findall(text)) / len(text) if text else 0.0
        if ratio > self.threshold:
            return ratio, f"'lorem ipsum' ratio {ratio:.3g} > max {self.threshold}"
        return ratio, None


@register_operator("text")
class UniqueWordsFilter(_RuleFilter):
    """Keeps text where more than ``threshold`` of the words are distinct (DataFlow).

    Low lexical variety marks repeated boilerplate and spam. Words are whitespace-separated and
    lower-cased: English-specific.
    """

    def __init__(self, threshold: float = 0.1) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        words = text.lower().split()
        if not words:
            return None, "no words"
        ratio = len(set(words)) / len(words)
        if ratio <= self.threshold:
            return ratio, f"unique-word ratio {ratio:.3g} <= min {self.threshold}"
        return ratio, None


@register_operator("text")
class CharNumberFilter(_RuleFilter):
    """Keeps text with at least ``threshold`` characters besides whitespace (DataFlow).

    DataFlow removes spaces, tabs and newlines; streamflow removes every whitespace character.
    """

    def __init__(self, threshold: int = 100) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        n = sum(map(len, text.split()))
        if n < self.threshold:
            return n, f"{n} characters < min {self.threshold}"
        return n, None


@register_operator("text")
class LineStartWithBulletpointFilter(_RuleFilter):
    """Drops text where more than ``threshold`` of the lines start with a bullet (Gopher, DataFlow).

    Such pages are menus and lists, not prose. The bullets are DataFlow's: • ‣ ▶ ◀ ◦ ■ □ ▪ ▫ –
    (not "-" or "*").
    """

    def __init__(self, threshold: float = 0.9) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        lines = _nonblank_lines(text)
        if not lines:
            return None, "no non-blank lines"
        ratio = sum(line.lstrip().startswith(_BULLETS) for line in lines) / len(lines)
        if ratio > self.threshold:
            return ratio, f"lines starting with a bullet {ratio:.3g} > max {self.threshold}"
        return ratio, None


@register_operator("text")
class LineWithJavascriptFilter(_RuleFilter):
    """Drops text of more than 3 lines with fewer than ``threshold`` lines free of "javascript".

    After C4's rule against "enable JavaScript" notices, applied per document as DataFlow does;
    lines of only punctuation and whitespace do not count. ``output_key`` gets the number of
    lines without "javascript".
    """

    def __init__(self, threshold: int = 3) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        lines = [s for s in text.split("\n") if s.strip(_ASCII_PUNCT_AND_SPACE)]
        if not lines:
            return None, "no non-blank lines"
        clean = sum("javascript" not in s.lower() for s in lines)
        if len(lines) > 3 and clean < self.threshold:
            return clean, f"{clean} lines without 'javascript' < min {self.threshold}"
        return clean, None


@register_operator("text")
class WordNumberFilter(_RuleFilter):
    """Keeps text with ``min_words`` <= words < ``max_words`` (Gopher, DataFlow).

    Words are whitespace-separated: English-specific (Chinese text counts few words).
    """

    def __init__(self, min_words: int = 20, max_words: int = 100000) -> None:
        self.min_words = min_words
        self.max_words = max_words

    def check(self, text: str) -> tuple[Score, str | None]:
        n = len(text.split())
        if n < self.min_words:
            return n, f"{n} words < min {self.min_words}"
        if n >= self.max_words:
            return n, f"{n} words >= max {self.max_words}"
        return n, None


@register_operator("text")
class BlocklistFilter(_RuleFilter):
    """Drops text with more than ``threshold`` blocklisted (obscene or offensive) words (DataFlow).

    Words are matched whole and lower-cased, so entries of several words never match. DataFlow
    ships LDNOOBW's lists; streamflow ships a short English list of its own (``language="en"``).
    ``blocklist_path`` (a file, one entry per line) or ``words`` replace it, and are required
    for other languages. ``output_key`` gets the number of blocklisted words.
    """

    def __init__(
        self,
        language: str = "en",
        threshold: int = 1,
        use_tokenizer: bool = False,
        blocklist_path: str | None = None,
        words: Sequence[str] | None = None,
    ) -> None:
        self.language = language
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer
        if blocklist_path is None and words is None:
            try:
                self.blocklist = bundled_word_list(f"blocklist_{language}")
            except FileNotFoundError:
                raise ValueError(
                    f"BlocklistFilter ships no blocklist for language {language!r}; "
                    "pass blocklist_path or words"
                ) from None
        else:
            given = read_word_list(blocklist_path) if blocklist_path else frozenset()
            self.blocklist = given | {w for w in (w.strip().lower() for w in words or ()) if w}

    def check(self, text: str) -> tuple[Score, str | None]:
        n = sum(map(self.blocklist.__contains__, _words(text.lower(), self.use_tokenizer)))
        if n > self.threshold:
            return n, f"{n} blocklisted words > max {self.threshold}"
        return n, None
