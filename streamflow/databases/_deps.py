"""Import a database driver or say which extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from streamflow.databases.errors import MissingDatabaseDriver


def require_driver(module: str, backend: str, extra: str = "sql") -> ModuleType:
    """``module`` imported, or :class:`MissingDatabaseDriver` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDatabaseDriver(
            f"the {backend} connector needs the Python package that provides {module!r}: "
            f"pip install 'streamflow-data[{extra}]'"
        ) from exc
