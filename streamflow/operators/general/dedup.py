"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

HashDeduplicateFilter now lives in :mod:`streamflow.operators.general_text`.
"""

from __future__ import annotations

from streamflow.operators.general_text.hash_deduplicate_filter import (
    DIGEST_SIZE,
    HashDeduplicateFilter,
    normalized,
)

__all__ = ["DIGEST_SIZE", "HashDeduplicateFilter", "normalized"]
