"""Length rules: how many sentences, words and characters a text has, and how long its words
are (Gopher, DataFlow).

Common behaviour: see :mod:`streamflow.operators.general_text._rule_filter`.
"""

from __future__ import annotations

import re

from streamflow.operators.general_text._rule_filter import Score, _RuleFilter

__all__ = ["CharNumberFilter", "MeanWordLengthFilter", "SentenceNumberFilter", "WordNumberFilter"]


def _check_range(op: _RuleFilter, **bounds: float) -> None:
    """Refuse bounds no text can meet (a negative minimum, a minimum above the maximum)."""
    (low_name, low), (high_name, high) = bounds.items()
    if low < 0 or low > high:
        raise ValueError(
            f"{type(op).__name__}: {low_name}={low} and {high_name}={high} keep no text "
            f"(need 0 <= {low_name} <= {high_name})"
        )


_SENTENCE = re.compile(r"\b[^.!?\n。！？]+[.!?。！？]*")


class SentenceNumberFilter(_RuleFilter):
    """Keeps text with ``min_sentences``..``max_sentences`` sentences (DataFlow, after Gopher).

    A sentence runs up to ``.``, ``!``, ``?`` or a line end; streamflow also ends sentences at
    "。！？", which DataFlow lists in its description but leaves out of its pattern.
    """

    label_key = "sentence_number_filter_label"

    def __init__(self, min_sentences: int = 3, max_sentences: int = 7500) -> None:
        _check_range(self, min_sentences=min_sentences, max_sentences=max_sentences)
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences

    def check(self, text: str) -> tuple[Score, str | None]:
        n = len(_SENTENCE.findall(text))
        if n < self.min_sentences:
            return n, f"{n} sentences < min {self.min_sentences}"
        if n > self.max_sentences:
            return n, f"{n} sentences > max {self.max_sentences}"
        return n, None


class MeanWordLengthFilter(_RuleFilter):
    """Keeps text whose mean word length is in [``min_length``, ``max_length``) (Gopher, DataFlow).

    Words are whitespace-separated: English-specific (a Chinese sentence is one long "word").
    The mean is rounded to two decimals before the comparison, as in DataFlow.
    """

    label_key = "mean_word_length_filter_label"

    def __init__(self, min_length: float = 3, max_length: float = 10) -> None:
        _check_range(self, min_length=min_length, max_length=max_length)
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


class CharNumberFilter(_RuleFilter):
    """Keeps text with at least ``threshold`` characters besides whitespace (DataFlow).

    DataFlow removes spaces, tabs and newlines; streamflow removes every whitespace character.
    """

    label_key = "char_number_filter_label"

    def __init__(self, threshold: int = 100) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        n = sum(map(len, text.split()))
        if n < self.threshold:
            return n, f"{n} characters < min {self.threshold}"
        return n, None


class WordNumberFilter(_RuleFilter):
    """Keeps text with ``min_words`` <= words < ``max_words`` (Gopher, DataFlow).

    Words are whitespace-separated: English-specific (Chinese text counts few words). As in
    DataFlow, ``output_key`` (``word_number_filter_label``) gets the word count, not a 0/1 label.
    """

    label_key = "word_number_filter_label"
    label_is_score = True

    def __init__(self, min_words: int = 20, max_words: int = 100000) -> None:
        _check_range(self, min_words=min_words, max_words=max_words)
        self.min_words = min_words
        self.max_words = max_words

    def check(self, text: str) -> tuple[Score, str | None]:
        n = len(text.split())
        if n < self.min_words:
            return n, f"{n} words < min {self.min_words}"
        if n >= self.max_words:
            return n, f"{n} words >= max {self.max_words}"
        return n, None
