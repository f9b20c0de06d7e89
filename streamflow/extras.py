"""Optional dependencies: imported where they are used, with an error that names the extra.

Heavy or optional libraries (torch, transformers, pypdf, duckdb, ...) are never imported at the
top of an operator module, so that listing operators stays cheap. An operator that needs one
calls :func:`require` in its constructor: a missing library then fails the construction, with
the ``pip install`` line that fixes it, instead of failing the import of the library or the
first batch of a long run.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from streamflow.errors import StreamflowError

__all__ = ["MissingDependency", "require"]


class MissingDependency(StreamflowError, ImportError):
    """An optional dependency is not installed; the message says which extra installs it."""

    def __init__(self, module: str, extra: str, for_: str | None = None, cause: str = "") -> None:
        self.module = module
        self.extra = extra
        who = f"{for_} needs" if for_ else "needs"
        why = f" ({cause})" if cause else ""
        super().__init__(
            f"{who} the optional dependency {module!r}, which is not installed{why}; "
            f"install it with: pip install 'streamflow-data[{extra}]'",
            name=module,
        )


def require(module: str, extra: str, *, for_: str | None = None) -> ModuleType:
    """``module``, imported; :class:`MissingDependency` naming ``extra`` when it cannot be.

    ``for_`` names what needs it (an operator), for the message. An installed module whose own
    import fails (a missing dependency of its own, a broken build) is reported the same way,
    with the cause, since reinstalling the extra is what repairs it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(module, extra, for_, cause=str(exc)) from exc
