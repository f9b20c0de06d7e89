"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

DataFlow's rule-based text filters now live in :mod:`streamflow.operators.general_text`
(``from streamflow.operators.general_text import WordNumberFilter``).
"""

from __future__ import annotations

from streamflow.operators.general_text._rule_filter import Score, Verdict
from streamflow.operators.general_text._rule_filter import (
    _RuleFilter as _RuleFilter,
)  # private, but code written against 0.1 may use it
from streamflow.operators.general_text.content_null_filter import ContentNullFilter
from streamflow.operators.general_text.count_filters import (
    CharNumberFilter,
    MeanWordLengthFilter,
    SentenceNumberFilter,
    WordNumberFilter,
)
from streamflow.operators.general_text.debris_filters import (
    CurlyBracketFilter,
    HtmlEntityFilter,
    LoremIpsumFilter,
    NoPuncFilter,
    SpecialCharacterFilter,
)
from streamflow.operators.general_text.line_filters import (
    ColonEndFilter,
    LineEndWithEllipsisFilter,
    LineStartWithBulletpointFilter,
    LineWithJavascriptFilter,
)
from streamflow.operators.general_text.term_filters import (
    BlocklistFilter,
    IDCardFilter,
    WatermarkFilter,
)
from streamflow.operators.general_text.word_ratio_filters import (
    AlphaWordsFilter,
    CapitalWordsFilter,
    StopWordFilter,
    SymbolWordRatioFilter,
    UniqueWordsFilter,
)

__all__ = [
    "AlphaWordsFilter",
    "BlocklistFilter",
    "CapitalWordsFilter",
    "CharNumberFilter",
    "ColonEndFilter",
    "ContentNullFilter",
    "CurlyBracketFilter",
    "HtmlEntityFilter",
    "IDCardFilter",
    "LineEndWithEllipsisFilter",
    "LineStartWithBulletpointFilter",
    "LineWithJavascriptFilter",
    "LoremIpsumFilter",
    "MeanWordLengthFilter",
    "NoPuncFilter",
    "Score",
    "SentenceNumberFilter",
    "SpecialCharacterFilter",
    "StopWordFilter",
    "SymbolWordRatioFilter",
    "UniqueWordsFilter",
    "Verdict",
    "WatermarkFilter",
    "WordNumberFilter",
]
