"""Word-mix rules: the share of words that are symbols, contain letters, are stop words, are
all capitals or are distinct (Gopher, DataFlow).

Common behaviour: see :mod:`streamflow.operators.general_text._rule_filter`.
"""

from __future__ import annotations

import re

from streamflow.operators.general_text._rule_filter import Score, _RuleFilter, words_of
from streamflow.operators.words import WORD_PUNCT, english_stopwords

__all__ = [
    "AlphaWordsFilter",
    "CapitalWordsFilter",
    "StopWordFilter",
    "SymbolWordRatioFilter",
    "UniqueWordsFilter",
]

_LETTER = re.compile(r"[^\W\d_]")


class SymbolWordRatioFilter(_RuleFilter):
    """Drops text with ``threshold`` or more "#", "..." or "…" per word (Gopher, DataFlow).

    Words are counted as nltk's WordPunctTokenizer counts them (punctuation runs are words too).
    """

    label_key = "symbol_word_ratio_filter_label"

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


class AlphaWordsFilter(_RuleFilter):
    """Keeps text where more than ``threshold`` of the words contain a letter (Gopher, DataFlow).

    DataFlow requires both parameters; the defaults are those of its ``text_process.yaml``.
    Differs from DataFlow: any Unicode letter counts, not just a-z, so Chinese, Greek or
    Cyrillic text is not dropped wholesale.
    """

    label_key = "alpha_words_filter_label"

    def __init__(self, threshold: float = 0.6, use_tokenizer: bool = False) -> None:
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer

    def check(self, text: str) -> tuple[Score, str | None]:
        words = words_of(text, self.use_tokenizer)
        if not words:
            return None, "no words"
        has_letter = _LETTER.search
        ratio = sum(1 for w in words if has_letter(w)) / len(words)
        if ratio <= self.threshold:
            return ratio, f"words with a letter {ratio:.3g} <= min {self.threshold}"
        return ratio, None


class StopWordFilter(_RuleFilter):
    """Keeps text where more than ``threshold`` of the words are English stop words (Gopher).

    Real prose is full of "the", "and", "of"; keyword spam and tables are not. At least three
    stop words are required too, as in DataFlow. The list is nltk's English one, shipped with
    streamflow: English-specific. DataFlow requires both parameters; the defaults are those of
    its ``text_process.yaml``.
    """

    label_key = "stop_word_filter_label"

    def __init__(self, threshold: float = 0.06, use_tokenizer: bool = False) -> None:
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer
        self._stopwords = english_stopwords()

    def check(self, text: str) -> tuple[Score, str | None]:
        words = words_of(text.lower(), self.use_tokenizer)
        n_stop = sum(map(self._stopwords.__contains__, words))
        ratio = n_stop / len(words) if words else 0.0
        if ratio <= self.threshold:
            return ratio, f"stop-word ratio {ratio:.3g} <= min {self.threshold}"
        if n_stop <= 2:
            return ratio, f"{n_stop} stop words <= min 2"
        return ratio, None


class CapitalWordsFilter(_RuleFilter):
    """Drops text where more than ``threshold`` of the words are all capitals (DataFlow).

    Shouting, headings and boilerplate menus. Scripts without case (Chinese) never count.
    """

    label_key = "capital_words_filter"

    def __init__(self, threshold: float = 0.2, use_tokenizer: bool = False) -> None:
        self.threshold = threshold
        self.use_tokenizer = use_tokenizer

    def check(self, text: str) -> tuple[Score, str | None]:
        words = words_of(text, self.use_tokenizer)
        ratio = sum(map(str.isupper, words)) / len(words) if words else 0.0
        if ratio > self.threshold:
            return ratio, f"all-capital words {ratio:.3g} > max {self.threshold}"
        return ratio, None


class UniqueWordsFilter(_RuleFilter):
    """Keeps text where more than ``threshold`` of the words are distinct (DataFlow).

    Low lexical variety marks repeated boilerplate and spam. Words are whitespace-separated and
    lower-cased: English-specific.
    """

    label_key = "unique_words_filter"

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
