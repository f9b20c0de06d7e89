"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

The shared tokenisers and word lists now live in :mod:`streamflow.operators.words`.
"""

from __future__ import annotations

from streamflow.operators.words import (
    WORD_PUNCT,
    WORD_TOKEN,
    bundled_word_list,
    english_stopwords,
    read_word_list,
    tokenize,
)

__all__ = [
    "WORD_PUNCT",
    "WORD_TOKEN",
    "bundled_word_list",
    "english_stopwords",
    "read_word_list",
    "tokenize",
]
