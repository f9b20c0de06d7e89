"""Prompt templates of extension-package.

Each is declared in pyproject.toml under "streamflow.prompts".
"""

from __future__ import annotations

from streamflow.prompts.base import DIYPromptABC


class ExtensionPackageSummaryPrompt(DIYPromptABC):
    """Asks for a one-sentence summary of a text.

    A DIY template: every LLM operator accepts it. The parameters of ``build_prompt`` are the
    row fields it needs.
    """

    def build_prompt(self, text: str) -> str:
        return f"Summarize the following text in one sentence.\n\nText:\n{text}\n\nSummary:"
