"""Term rules: identity-document terms, watermarks and blocklisted words found in the text
(DataFlow).

Common behaviour: see :mod:`streamflow.operators.general_text._rule_filter`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from streamflow.operators.general_text._rule_filter import Score, _RuleFilter, words_of
from streamflow.operators.words import bundled_word_list, read_word_list

__all__ = ["BlocklistFilter", "IDCardFilter", "WatermarkFilter"]

_ID_TERM = re.compile(  # the lookahead lets the engine skip most positions cheaply
    r"(?=[iInNrR身])(?:身\s{0,10}份|\b(?:i(?:d\s{0,10}(?:number|no|card)|dentification|dentity"
    r"|c\s{0,10}number|\.d\.\s{0,10}number)|nric\s{0,10}number|resident\s{0,10}registration)\b)",
    re.IGNORECASE,
)
_NEVER = re.compile(r"(?!)")
_UNSPACED_LANGUAGES = frozenset({"zh", "ja"})
"""Languages written without spaces between words: blocklist entries are matched as substrings."""


class IDCardFilter(_RuleFilter):
    """Drops text naming identity documents ``threshold`` or more times: likely PII (DataFlow).

    The terms ("身份", "ID number", "ID card", "identity", "NRIC number", ...) are DataFlow's;
    streamflow matches the English ones as whole words, so "avoid noise" is not "id no".
    ``output_score_key`` gets the number of terms found.
    """

    label_key = "id_card_filter_label"

    def __init__(self, threshold: int = 3) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        n = len(_ID_TERM.findall(text))
        if n >= self.threshold:
            return n, f"{n} identity-document terms >= max {self.threshold}"
        return n, None


class WatermarkFilter(_RuleFilter):
    """Drops text containing any of ``watermarks``, case-sensitive (DataFlow).

    Differs from DataFlow: the watermarks are literal strings, not regex fragments, and an
    empty list drops nothing. ``output_score_key`` gets the number of matches.
    """

    label_key = "watermark_filter_label"

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


class BlocklistFilter(_RuleFilter):
    """Drops text with more than ``threshold`` blocklisted (obscene or offensive) words (DataFlow).

    Words are matched whole and lower-cased, so entries of several words never match. DataFlow
    ships LDNOOBW's lists; streamflow ships short lists of its own for English
    (``language="en"``) and Chinese (``"zh"``: words and phrases that are vulgar wherever they
    appear, none that everyday words contain, such as 操 in 操作). ``blocklist_path`` (a file,
    one entry per line) or ``words`` replace them, and are required for other languages.
    ``output_score_key`` gets the number of blocklisted words.

    Differs from DataFlow: for languages written without spaces between words
    (``language="zh"`` or ``"ja"``), entries are found anywhere in the text (each occurrence
    counts once, the longest entry first), since splitting at spaces finds no words there.
    """

    label_key = "blocklist_filter_label"

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
        self._substrings: re.Pattern[str] | None = None
        if language.split("-")[0].lower() in _UNSPACED_LANGUAGES:
            entries = sorted(self.blocklist, key=lambda w: (-len(w), w))
            terms = "|".join(map(re.escape, entries))
            self._substrings = re.compile(terms) if terms else _NEVER

    def check(self, text: str) -> tuple[Score, str | None]:
        if self._substrings is not None:
            n = len(self._substrings.findall(text.lower()))
        else:
            n = sum(map(self.blocklist.__contains__, words_of(text.lower(), self.use_tokenizer)))
        if n > self.threshold:
            return n, f"{n} blocklisted words > max {self.threshold}"
        return n, None
