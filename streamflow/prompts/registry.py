"""Compatibility: the prompt-template registry now lives in :mod:`streamflow.operators.registry`.

Templates are declared by the operator domains beside their operators, so the registry belongs
to the operator layer; ``prompts/`` holds only the template base and imports no operator module.
The functions here defer to it at call time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamflow.operators.registry import PromptEntry
    from streamflow.prompts.base import PromptTemplate

__all__ = ["PROMPT_GROUP", "PromptEntry", "load_prompt", "prompt_templates"]

PROMPT_GROUP = "streamflow.prompts"


def prompt_templates() -> dict[str, PromptEntry]:
    """Every known template by name: see :func:`streamflow.operators.registry.prompt_templates`."""
    from streamflow.operators import registry

    return registry.prompt_templates()


def load_prompt(name: str) -> type[PromptTemplate]:
    """The template class called ``name``: see :func:`streamflow.operators.registry.load_prompt`."""
    from streamflow.operators import registry

    return registry.load_prompt(name)


def __getattr__(name: str) -> Any:
    if name == "PromptEntry":
        from streamflow.operators import registry

        return registry.PromptEntry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
