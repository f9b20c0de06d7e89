"""Normalisation refiners: case, whitespace, and dates and amounts in one spelling
(DataFlow's ``general_text/refine``).

Common behaviour: see :mod:`streamflow.operators.text_refiner`.
"""

from __future__ import annotations

import calendar
import re

from streamflow.operators.general_text._regex import alternation
from streamflow.operators.text_refiner import TextRefiner

__all__ = ["LowercaseRefiner", "RemoveExtraSpacesRefiner", "TextNormalizationRefiner"]


class LowercaseRefiner(TextRefiner):
    """Lower-cases the text (Unicode-aware: ``É`` -> ``é``; scripts without case are unchanged)."""

    def refine(self, text: str) -> str:
        return text.lower()


class RemoveExtraSpacesRefiner(TextRefiner):
    """Collapses every run of whitespace (newlines and ideographic spaces too) to one space and
    strips the ends, as DataFlow does."""

    def refine(self, text: str) -> str:
        return " ".join(text.split())


# Spelled out, as calendar.month_name follows the process locale.
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES.split(" "))}
_MONTH_SPELLINGS = [f(name) for name in _MONTHS for f in (str.lower, str.title, str.upper)]
_MONTH = "(" + alternation(_MONTH_SPELLINGS, not_after=r"\w") + ")"
# Each starts with a digit or letter and checks what precedes it just after: a leading \b or
# look-behind would make the regex engine try every position.
_NUMERIC_DATE = re.compile(r"(\d(?<![\w./]\d)\d?)([/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|\.\d)")
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH}\s+(\d{{1,2}}),\s+(\d{{4}})\b")
_DAY_MONTH_YEAR = re.compile(rf"(\d(?<!\w\d)\d?)\s+{_MONTH}\s+(\d{{4}})\b")
_DOLLARS = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")


def _iso(year: str, month: int, day: int) -> str | None:
    """``year-MM-DD`` (the year as written), or None where no such day exists."""
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(full_year, month)[1]):
        return None
    return f"{year}-{month:02d}-{day:02d}"


def _numeric_date(m: re.Match[str]) -> str:
    if m[2] == "." and len(m[4]) == 2:
        return m[0]  # 3.12.10 is a version number far more often than a date
    return _iso(m[4], int(m[3]), int(m[1])) or m[0]


def _month_day_year(m: re.Match[str]) -> str:
    return _iso(m[3], _MONTHS[m[1].lower()], int(m[2])) or m[0]


def _day_month_year(m: re.Match[str]) -> str:
    return _iso(m[3], _MONTHS[m[2].lower()], int(m[1])) or m[0]


class TextNormalizationRefiner(TextRefiner):
    """Rewrites dates as ``YYYY-MM-DD`` and dollar amounts as ``<amount> USD``, as DataFlow does.

    Dates: ``DD/MM/YYYY`` and ``DD.MM.YYYY`` (day first, DataFlow's reading), ``March 5, 2023``
    and ``5 March 2023`` (full English month names in lower, title or upper case). A date that
    does not exist under that reading (``12/31/2023``) is left as written, as are version numbers
    and IP addresses. Unlike DataFlow, every date in the text is rewritten, not only the first.

    Amounts: ``$1,299.99`` -> ``1,299.99 USD`` (DataFlow keeps only the digits before the first
    comma or point).
    """

    def refine(self, text: str) -> str:
        if "/" in text or "." in text:
            text = _NUMERIC_DATE.sub(_numeric_date, text)
        text = _MONTH_DAY_YEAR.sub(_month_day_year, text)
        text = _DAY_MONTH_YEAR.sub(_day_month_year, text)
        return _DOLLARS.sub(r"\1 USD", text) if "$" in text else text
