"""Compatibility: the operator registry now lives in :mod:`streamflow.operators.registry`.

Kept importable because code outside the project imports it (``streamflow init extension``
generates ``from streamflow.actors.registry import OPERATORS``). The registry reads the
operator library, which sits above ``actors/``; so every name is fetched from
``streamflow.operators.registry`` on first access (PEP 562), never when this module is imported.
"""

from __future__ import annotations

from typing import Any

_MOVED = (
    "ENTRY_POINT_GROUP",
    "OPERATORS",
    "ExtensionOperator",
    "OperatorInfo",
    "OperatorRegistry",
    "Param",
    "register_operator",
)
"""The names this module had, each now fetched from ``streamflow.operators.registry``."""


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from streamflow.operators import registry

    return getattr(registry, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_MOVED})
