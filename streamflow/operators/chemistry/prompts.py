"""Prompt templates of the chemistry domain."""

from __future__ import annotations

from typing import Any

from streamflow.prompts.base import PromptTemplate

__all__ = ["ExtractSmilesFromTextPrompt"]

_INSTRUCTIONS = """Read the text below and list every monomer or small molecule it describes.
For each one give:
- "abbreviation": the short name the text uses for it,
- "full_name": its full chemical name,
- "smiles": its structure as a SMILES string.
Leave out polymers (names starting with "poly"). Give each abbreviation once; if something is
unknown, leave that field out. Answer with a JSON array of objects and nothing else, e.g.
[{"abbreviation": "ODA", "full_name": "4,4'-oxydianiline", "smiles": "Nc1ccc(Oc2ccc(N)cc2)cc1"}]
"""


class ExtractSmilesFromTextPrompt(PromptTemplate):
    """Asks for ``[{abbreviation, full_name, smiles}]``; restricted to ``target_monomers``
    when the row names some."""

    def __init__(self, prompt_template: str | None = None) -> None:
        self.prompt_template = prompt_template or _INSTRUCTIONS

    def build_prompt(self, target_monomers: Any = "") -> str:
        prompt = self.prompt_template
        if target_monomers:
            names = (
                ", ".join(map(str, target_monomers))
                if isinstance(target_monomers, list)
                else str(target_monomers)
            )
            prompt += (
                "\nOnly these molecules matter (this overrides the rules above): " + names + "\n"
            )
        return prompt + "\nText:\n"
