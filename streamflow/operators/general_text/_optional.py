"""Optional dependencies of general_text operators, imported in constructors (never at module top
level, so listing operators stays cheap), with an error that names the extra to install.

Stands in for ``streamflow.extras.require`` until that lands on main; same signature.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingDependency", "require"]


class MissingDependency(ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def require(module: str, extra: str) -> ModuleType:
    """``import module``, or :class:`MissingDependency` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{module} is not installed: pip install 'streamflow[{extra}]' ({exc})"
        ) from exc
