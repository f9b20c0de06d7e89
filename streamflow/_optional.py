"""Optional dependencies: import one where it is needed, or say which extra installs it.

Heavy or optional libraries (pdfplumber, bm25s, faiss, rdkit, ...) are imported inside the
functions and constructors that use them, never at module top level, so that listing operators
stays cheap. :func:`require` is the one way to do it: a missing library raises
:class:`MissingDependency` naming the extra, e.g. ``pip install 'streamflow[pdf]'``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from streamflow.errors import StreamflowError

__all__ = ["MissingDependency", "require"]


class MissingDependency(StreamflowError, ImportError):
    """An optional library is not installed; the message names the extra that installs it."""


def require(module: str, extra: str, *, what: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependency` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        needed = what or module
        raise MissingDependency(
            f"{needed} needs the optional package {module.split('.')[0]!r} "
            f"({exc}); install it with: pip install 'streamflow[{extra}]'"
        ) from exc
