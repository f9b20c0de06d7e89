"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

DataFlow's rule-based text refiners now live in :mod:`streamflow.operators.general_text`,
their base in :mod:`streamflow.operators.text_refiner`.
"""

from __future__ import annotations

from streamflow.operators.general_text.markup_refiners import (
    HtmlEntityRefiner,
    HtmlUrlRemoverRefiner,
    ReferenceRemoverRefiner,
    RemoveImageRefsRefiner,
)
from streamflow.operators.general_text.normalization_refiners import (
    LowercaseRefiner,
    RemoveExtraSpacesRefiner,
    TextNormalizationRefiner,
)
from streamflow.operators.general_text.symbol_refiners import (
    RemoveEmojiRefiner,
    RemoveEmoticonsRefiner,
    RemoveNumberRefiner,
    RemovePunctuationRefiner,
    RemoveRepetitionsPunctuationRefiner,
)
from streamflow.operators.text_refiner import TextRefiner

__all__ = [
    "HtmlEntityRefiner",
    "HtmlUrlRemoverRefiner",
    "LowercaseRefiner",
    "ReferenceRemoverRefiner",
    "RemoveEmojiRefiner",
    "RemoveEmoticonsRefiner",
    "RemoveExtraSpacesRefiner",
    "RemoveImageRefsRefiner",
    "RemoveNumberRefiner",
    "RemovePunctuationRefiner",
    "RemoveRepetitionsPunctuationRefiner",
    "TextNormalizationRefiner",
    "TextRefiner",
]
