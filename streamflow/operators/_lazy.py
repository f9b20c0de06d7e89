"""Lazy domain packages: a domain's ``__init__.py`` names its operators and prompt templates and
the module each lives in, and nothing is imported until a name is used (PEP 562).

A domain package ``streamflow.operators.D`` is, in full::

    from streamflow.operators._lazy import lazy_domain

    __getattr__, __dir__, __all__ = lazy_domain(
        __name__,
        operators={"WordNumberFilter": "length_filters", ...},  # name -> module of the package
        prompts={"SomePrompt": "prompts", ...},
    )

Importing the package imports nothing else; ``from streamflow.operators.D import X`` imports
only X's module. The same maps are what the registry (:mod:`streamflow.operators.registry`)
reads to list operators and prompt templates, so the names a domain exports and the names the
registry knows are one list. A name may map to a module that defines it as an alias of a class
with another name (DataFlow's older spellings).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["LazyDomain", "declared_domain", "lazy_domain"]


@dataclass(frozen=True, slots=True)
class LazyDomain:
    """What a domain package declares: its operators and prompt templates by module."""

    package: str
    """The package's full name (``streamflow.operators.general_text``)."""
    operators: Mapping[str, str]
    """Operator name -> module, relative to the package."""
    prompts: Mapping[str, str]
    """Prompt template name -> module, relative to the package."""

    @property
    def name(self) -> str:
        """The domain: the last part of the package name (``general_text``)."""
        return self.package.rpartition(".")[2]

    def module_of(self, name: str) -> str:
        """The full name of the module that defines ``name``."""
        relative = self.operators.get(name) or self.prompts[name]
        return f"{self.package}.{relative}"


_DECLARED: dict[str, LazyDomain] = {}


def lazy_domain(
    package_name: str,
    operators: Mapping[str, str] | None = None,
    prompts: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for the domain package ``package_name``.

    ``operators`` and ``prompts`` map each exported name to the module (relative to the package,
    dots allowed for subpackages) that defines it. A name in both maps, or a module written
    with a leading dot, raises ValueError: the domain is a bug, found when it is first imported.
    """
    ops = dict(operators or {})
    templates = dict(prompts or {})
    both = sorted(ops.keys() & templates.keys())
    if both:
        raise ValueError(f"{package_name}: {both[0]!r} is both an operator and a prompt template")
    modules = {**ops, **templates}
    for name, module in modules.items():
        if not module or module.startswith(".") or not name.isidentifier():
            raise ValueError(f"{package_name}: {name!r} -> {module!r} is not name -> module")
    domain = LazyDomain(package_name, MappingProxyType(ops), MappingProxyType(templates))
    _DECLARED[package_name] = domain
    exported = sorted(modules)

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package_name}.{module}"), name)
        setattr(sys.modules[package_name], name, value)  # the next access is a plain lookup
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package_name]), *exported})

    return __getattr__, __dir__, exported


def declared_domain(package_name: str) -> LazyDomain | None:
    """The maps of the domain package ``package_name`` (imported here, which is cheap), or None
    when the package is not a domain (it does not call :func:`lazy_domain`)."""
    importlib.import_module(package_name)
    return _DECLARED.get(package_name)
