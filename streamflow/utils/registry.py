"""DataFlow's ``dataflow.utils.registry``, for custom operators written against it.

In DataFlow a custom operator class is decorated with ``@OPERATOR_REGISTRY.register()`` so that
its pipelines can find it by name. streamflow needs no registration for an operator a pipeline
builds itself (its own library is found through :mod:`streamflow.operators.registry` and entry
points), so ``register`` here hands the class back unchanged, whether called as
``@register()`` or ``@register``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OPERATOR_REGISTRY", "PROMPT_REGISTRY", "Registry"]


class Registry:
    """Accepts DataFlow's registrations and keeps the classes by name (``get(name)``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._classes: dict[str, Any] = {}

    def register(self, obj: Any = None) -> Any:
        if obj is None:
            return self.register
        self._classes[obj.__name__] = obj
        return obj

    def get(self, name: str) -> Any:
        try:
            return self._classes[name]
        except KeyError:
            raise KeyError(
                f"{name!r} is not registered in {self.name}; streamflow's own operators are "
                "imported from streamflow.operators.<domain>"
            ) from None


OPERATOR_REGISTRY = Registry("OPERATOR_REGISTRY")
PROMPT_REGISTRY = Registry("PROMPT_REGISTRY")
