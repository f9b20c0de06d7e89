"""Lazy registration of a domain's operators and prompt templates (stand-in until issue 10 lands).

A domain package's ``__init__`` maps public names to the modules that define them; a name is
imported only when it is first used, so listing a domain stays cheap. Main's version of this
module replaces this one when the layout lands.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_domain"]


def lazy_domain(
    package: str, operators: dict[str, str], prompts: dict[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for the domain package ``package``."""
    names = {**operators, **(prompts or {})}

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__, sorted(names)
