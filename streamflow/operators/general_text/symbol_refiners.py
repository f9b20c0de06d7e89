"""Symbol refiners: emoji, emoticons, punctuation, repeated punctuation and digits removed
(DataFlow's ``general_text/refine``).

Common behaviour: see :mod:`streamflow.operators.text_refiner`.
"""

from __future__ import annotations

import functools
import re
import string
import sys
from typing import Any

from streamflow.operators.general_text._regex import alternation, delete_ascii
from streamflow.operators.text_refiner import TextRefiner

__all__ = [
    "RemoveEmojiRefiner",
    "RemoveEmoticonsRefiner",
    "RemoveNumberRefiner",
    "RemovePunctuationRefiner",
    "RemoveRepetitionsPunctuationRefiner",
]


@functools.cache
def _emoji_prefilter() -> re.Pattern[str]:
    """Any character of the BMP that occurs in an emoji, or any astral one: a class the regex
    engine tests fast, where the exact set of 1,400 characters is ten times slower. Built on
    first use (with the ``emoji`` import), so that listing operators does not pay for it."""
    import emoji

    bmp = {c for seq in emoji.EMOJI_DATA for c in seq if not c.isascii() and ord(c) <= 0xFFFF}
    return re.compile("[" + "".join(re.escape(c) for c in sorted(bmp)) + "\U00010000-\U0010ffff]")


_TEXT_SYMBOLS = frozenset("©®™")


def _keep_text_symbols(chars: str, _data: dict[str, Any]) -> str:
    return chars if chars in _TEXT_SYMBOLS else ""


class RemoveEmojiRefiner(TextRefiner):
    """Deletes Unicode emoji, including skin-tone, flag, keycap and ZWJ sequences.

    Uses the ``emoji`` package's data rather than DataFlow's five code-point ranges, which miss
    most newer emoji. ``©``, ``®`` and ``™`` are kept unless written with the emoji variation
    selector: in prose they are typography (copyright lines), not emoji.
    """

    def __init__(self) -> None:
        self._maybe_emoji = _emoji_prefilter()

    def refine(self, text: str) -> str:
        if self._maybe_emoji.search(text) is None:
            return text
        import emoji  # imported by _emoji_prefilter already: a dictionary lookup

        return emoji.replace_emoji(text, replace=_keep_text_symbols)


# Common western emoticons and kaomoji. Each has at least one character that is not a letter or
# digit, so no word is mistaken for one ("XD", "QQ", "D:" of DataFlow's list are left out), and
# forms that are everyday code or notation are left out too (":]" of "a[:]", "*)" of "(*)").
_EMOTICONS = (
    ":-)", ":)", ":-))", ":))", ":)))", ":-]", ":-3", ":3", ":->", ":>", "8-)", ":o)", ":-}", ":}",
    ":c)", ":^)", "=]", "=)", ":-D", ":D", "8-D", "X-D", "=D", "=3", "B^D", ":-(", ":(", ":-c",
    ":c", ":-<", ":<", ":-[", ":[", ":-||", ">:[", ":{", ":@", ">:(", ":'-(", ":'(", ":'-)", ":')",
    "D-':", "D:<", ":-O", ":O", ":-o", ":o", ":-0", "8-0", ">:O", ":-*", ":*", ";-)", ";)", "*-)",
    ";-]", ";]", ";^)", ";D", ":-P", ":P", "X-P", ":-p", ":p", ":-Þ", ":Þ", ":-b", "=p", ">:P",
    ":-/", ":/", ">:/", "=/", ":-|", ":|", ":$", ":-x", ":-#", ":-&", "O:-)", "O:)", "0:-3", "0:3",
    "0:-)", "0:)", ">:-)", ">:)", "}:-)", "}:)", "3:-)", "3:)", ">;)", "|;-)", "|-O", ":-J", "#-)",
    "%-)", "<:-|", "<3", "</3",
    "^_^", "^^", "^_^;", "(^_^)", "(^^)", "(^.^)", "(^_^;)", "(-_-;)", "(^o^)", "(^O^)", "(^_-)",
    "(^_^)/", "(^_^)v", "(^^)v", "(*^_^*)", "（*^_^*）", "(*^.^*)", "(>_<)", ">_<", "(T_T)", "T_T",
    "(;_;)", ";_;", "Q_Q", "(-_-)", "-_-", "(-_-)zzz", "(=_=)", "(*_*)", "(o.o)", "o_O", "O_o",
    "o.O", "(@_@)", "m(_ _)m", "m(__)m", "<(_ _)>", "¯\\_(ツ)_/¯", "(╯°□°)╯︵ ┻━┻", "ಠ_ಠ",
    "(¬_¬)", "(ToT)", "(^_^)／", "(＾ｖ＾)",
)  # fmt: skip
_EMOTICON = re.compile(alternation(_EMOTICONS, not_after="[A-Za-z0-9]") + "(?![A-Za-z0-9])")


class RemoveEmoticonsRefiner(TextRefiner):
    """Deletes text emoticons such as ``:-)``, ``;D``, ``T_T`` and ``¯\\_(ツ)_/¯``.

    DataFlow deletes every occurrence of each emoticon string, so ``https://`` loses ``:/`` and
    ``PhD:`` loses ``D:``. Here an emoticon must not touch a letter or digit on either side, which
    keeps URLs, times (``10:30``) and words intact.
    """

    def refine(self, text: str) -> str:
        return _EMOTICON.sub("", text)


_delete_punctuation = delete_ascii(string.punctuation)


class RemovePunctuationRefiner(TextRefiner):
    """Deletes ASCII punctuation (Python's ``string.punctuation``); other scripts' punctuation,
    such as ``，。！``, is kept, as in DataFlow."""

    def refine(self, text: str) -> str:
        return _delete_punctuation(text)


@functools.cache
def _digits() -> re.Pattern[str]:
    """Runs of what ``str.isdigit`` accepts: ``\\d`` and more (``²``, ``①``, ...). Built on first
    use: scanning every code point takes a tenth of a second."""
    spans: list[list[int]] = []
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if c.isdigit() and not c.isdecimal():
            if spans and spans[-1][1] == cp - 1:
                spans[-1][1] = cp
            else:
                spans.append([cp, cp])
    ranges = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in spans)
    return re.compile(rf"[\d{ranges}]+")


_delete_ascii_digits = delete_ascii(string.digits)


class RemoveNumberRefiner(TextRefiner):
    """Deletes every digit character (``str.isdigit``, as DataFlow): ``COVID-19`` -> ``COVID-``,
    ``x²`` -> ``x``; numerals written as words or ideographs (``三``) are kept."""

    def __init__(self) -> None:
        self._digits = _digits()

    def refine(self, text: str) -> str:
        if text.isascii():
            return _delete_ascii_digits(text)
        return self._digits.sub("", text)


_REPEATED_SYMBOL = re.compile(r"([^\w\s])\1+")
_REPEATED_UNDERSCORE = re.compile("__+")


class RemoveRepetitionsPunctuationRefiner(TextRefiner):
    """Collapses a run of one repeated non-word character to one: ``!!!`` -> ``!``,
    ``。。`` -> ``。``, ``___`` -> ``_``. Mixed runs such as ``?!`` are kept, as in DataFlow."""

    def refine(self, text: str) -> str:
        text = _REPEATED_SYMBOL.sub(r"\1", text)
        return _REPEATED_UNDERSCORE.sub("_", text) if "__" in text else text
