"""The core_text prompt templates: DataFlow's format-string template and the DIY base.

Both are defined with the template base in :mod:`streamflow.prompts.base` (every domain's
templates build on them); this module is where the core_text domain declares them, as
DataFlow's ``dataflow.prompts.core_text`` does.
"""

from __future__ import annotations

from streamflow.prompts.base import DIYPromptABC, FormatStrPrompt

__all__ = ["DIYPromptABC", "FormatStrPrompt"]
