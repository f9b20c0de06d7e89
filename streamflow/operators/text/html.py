"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

HtmlTextExtractor now lives in :mod:`streamflow.operators.web`.
"""

from __future__ import annotations

from streamflow.operators.web.html_text_extractor import HtmlTextExtractor

__all__ = ["HtmlTextExtractor"]
