"""Optional dependencies: import one, or say which extra installs it (stand-in until issue 10).

Main's version of this module replaces this one when the layout lands.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from streamflow.errors import StreamflowError

__all__ = ["MissingDependency", "require"]


class MissingDependency(StreamflowError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingDependency` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{module} is not installed: pip install 'streamflow[{extra}]'"
        ) from exc
