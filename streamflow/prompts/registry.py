"""Prompt templates by name: those streamflow ships and those installed packages declare in the
entry-point group ``streamflow.prompts`` (name = template name, value = ``module:Class``).
Declared templates are imported only when loaded."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from streamflow.entrypoints import import_target
from streamflow.errors import StreamflowError
from streamflow.prompts.base import PromptTemplate

PROMPT_GROUP = "streamflow.prompts"


@dataclass(frozen=True, slots=True)
class PromptEntry:
    name: str
    target: str
    """``module:Class``"""
    extension: str | None
    """The distribution that declares it (None: shipped with streamflow)."""


def prompt_templates() -> dict[str, PromptEntry]:
    """Every known template by name; only streamflow's own modules are imported."""
    import streamflow.operators.general.llm  # noqa: F401 (its templates subclass the base)

    found = {
        cls.__name__: PromptEntry(cls.__name__, f"{cls.__module__}:{cls.__qualname__}", None)
        for cls in _subclasses(PromptTemplate)
        if cls.__module__.startswith("streamflow.")
    }
    for ep in entry_points(group=PROMPT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "an unknown package"
        known = found.get(ep.name)
        if known is not None and known.target != ep.value:
            by = known.extension or "streamflow"
            raise StreamflowError(
                f"prompt template {ep.name!r} is declared twice: by {by} ({known.target}) "
                f"and by {dist} ({ep.value})"
            )
        found[ep.name] = PromptEntry(ep.name, ep.value, dist)
    return dict(sorted(found.items()))


def load_prompt(name: str) -> type[PromptTemplate]:
    entry = prompt_templates().get(name)
    if entry is None:
        raise StreamflowError(f"no prompt template named {name!r}; `streamflow prompts list`")
    cls = import_target("prompt template", name, entry.extension, entry.target)
    if not (isinstance(cls, type) and issubclass(cls, PromptTemplate)):
        raise StreamflowError(f"prompt template {name!r}: {entry.target} is not a PromptTemplate")
    return cls


def _subclasses(base: type) -> list[type]:
    out: list[type] = []
    sub: type
    for sub in base.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out
