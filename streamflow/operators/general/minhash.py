"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

MinHashDeduplicateFilter now lives in :mod:`streamflow.operators.general_text`.
"""

from __future__ import annotations

from streamflow.operators.general_text.minhash_deduplicate_filter import (
    MinHashDeduplicateFilter,
    MinHasher,
    shingles,
    words,
)

__all__ = ["MinHashDeduplicateFilter", "MinHasher", "shingles", "words"]
