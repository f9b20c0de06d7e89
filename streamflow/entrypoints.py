"""Importing what an entry point (or a shipped piece) names, only when it is used."""

from __future__ import annotations

import importlib
from typing import Any

from streamflow.errors import StreamflowError


def import_target(what: str, name: str, extension: str | None, target: str) -> Any:
    """The object ``module:attr`` names (the module itself when there is no ``:attr``).

    A failing import raises a StreamflowError naming the piece (``what`` ``name``), the package
    that declared it and the cause, so a broken extension breaks only the piece that is used.
    """
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr) if attr else module
    except (Exception, SystemExit) as exc:  # sys.exit() at import breaks the piece, not the CLI
        origin = f"from {extension} " if extension else ""
        cause = (
            f"importing it called sys.exit({exc.code!r})"
            if isinstance(exc, SystemExit)
            else f"{type(exc).__name__}: {exc}"
        )
        raise StreamflowError(
            f"{what} {name!r} {origin}could not be loaded from {target}: {cause}"
        ) from None if isinstance(exc, SystemExit) else exc
