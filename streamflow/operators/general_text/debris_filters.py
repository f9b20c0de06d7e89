"""Debris rules: HTML entities, encoding debris, code braces, placeholder text and long runs
without punctuation, what extraction leaves behind (C4, DataFlow).

Common behaviour: see :mod:`streamflow.operators.general_text._rule_filter`.
"""

from __future__ import annotations

import re

from streamflow.operators.general_text._rule_filter import Score, _RuleFilter

__all__ = [
    "CurlyBracketFilter",
    "HtmlEntityFilter",
    "LoremIpsumFilter",
    "NoPuncFilter",
    "SpecialCharacterFilter",
]

_HTML_ENTITY = re.compile(
    r"[&＆](?:nbsp|lt|gt|amp|quot|apos|hellip|ndash|mdash|lsquo|rsquo|ldquo|rdquo)"
)
_SPECIAL = re.compile(
    r"u200e|&#247;|\? :|[�□]|\{/U\}"
    r"|U\+26[0-9A-F][0-9A-D]|U\+273[34]|U\+1F[3-6][0-4][0-9A-F]|U\+1F6[89A-F][0-9A-F]"
)
_LOREM_IPSUM = re.compile(r"lorem ipsum", re.IGNORECASE)
_NO_PUNC_SPLIT = re.compile(r"[–.!?,;•/|…\n]")


class HtmlEntityFilter(_RuleFilter):
    """Drops text with HTML entities ("&nbsp", "&amp;", "＆lt；"): extraction debris (DataFlow).

    ``output_score_key`` gets the number of entities found.
    """

    label_key = "html_entity_filter_label"

    def check(self, text: str) -> tuple[Score, str | None]:
        found = _HTML_ENTITY.findall(text)
        if found:
            return len(found), f"{len(found)} HTML entities (first {found[0]!r})"
        return 0, None


class SpecialCharacterFilter(_RuleFilter):
    """Drops text with encoding debris: "�", "□", "{/U}", "&#247;", escaped code points (DataFlow).

    The patterns are DataFlow's, including the literal text "u200e" (a mangled escape of the
    left-to-right mark, not the mark itself) and "U+1F6xx"-style code point names.
    ``output_score_key`` gets the number of matches.
    """

    label_key = "special_character_filter_label"

    def check(self, text: str) -> tuple[Score, str | None]:
        found = _SPECIAL.findall(text)
        if found:
            return len(found), f"{len(found)} special characters (first {found[0]!r})"
        return 0, None


class CurlyBracketFilter(_RuleFilter):
    """Drops text where "{" and "}" make up ``threshold`` or more of the characters (C4, DataFlow).

    Curly brackets mark code, templates and JSON, not natural language.
    """

    label_key = "curly_bracket_filter_label"

    def __init__(self, threshold: float = 0.025) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        ratio = (text.count("{") + text.count("}")) / len(text) if text else 0.0
        if ratio >= self.threshold:
            return ratio, f"curly-bracket ratio {ratio:.3g} >= max {self.threshold}"
        return ratio, None


class LoremIpsumFilter(_RuleFilter):
    """Drops placeholder text: "lorem ipsum" per character above ``threshold`` (C4, DataFlow).

    With the default 3e-8, one occurrence drops any text shorter than 33 million characters.
    """

    label_key = "loremipsum_filter_label"

    def __init__(self, threshold: float = 3e-8) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        ratio = len(_LOREM_IPSUM.findall(text)) / len(text) if text else 0.0
        if ratio > self.threshold:
            return ratio, f"'lorem ipsum' ratio {ratio:.3g} > max {self.threshold}"
        return ratio, None


class NoPuncFilter(_RuleFilter):
    """Drops text with a run of more than ``threshold`` words without punctuation (DataFlow).

    Long unpunctuated runs are keyword lists, navigation or code. The punctuation is DataFlow's
    (``– . ! ? , ; • / | …``) and words are whitespace-separated: English-specific.
    """

    label_key = "no_punc_filter_label"

    def __init__(self, threshold: int = 112) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        longest = max((len(s.split()) for s in _NO_PUNC_SPLIT.split(text)), default=0)
        if longest > self.threshold:
            return longest, f"{longest} words without punctuation > max {self.threshold}"
        return longest, None
