"""What ``streamflow init prompt NAME`` adds to an extension's prompts.py: this class, renamed."""

from streamflow.prompts.base import DIYPromptABC


class NewPrompt(DIYPromptABC):
    """What NewPrompt asks; the parameters of build_prompt are the row fields it needs."""

    def build_prompt(self, text: str) -> str:
        return f"Answer about this text:\n{text}"
