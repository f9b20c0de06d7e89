"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

LanguageFilter now lives in :mod:`streamflow.operators.general_text`, LanguageIdentifier in
:mod:`streamflow.operators.web`, and ``identify`` in :mod:`streamflow.operators.language_id`.
"""

from __future__ import annotations

from streamflow.operators.general_text.language_filter import LanguageFilter
from streamflow.operators.language_id import DEFAULT_MAX_CHARS, identify
from streamflow.operators.web.language_identifier import LanguageIdentifier

__all__ = ["DEFAULT_MAX_CHARS", "LanguageFilter", "LanguageIdentifier", "identify"]
