"""The operator registry: every operator by name, with its description, parameters and keys.

Built-in operators register themselves with :func:`register_operator` when their module is
imported; :meth:`OperatorRegistry.load_builtin` imports the operator library on first use, so
importing streamflow stays cheap. Installed packages add operators through the entry-point group
``streamflow.operators`` (name = operator name, value = ``module:Class``); those are imported
only when used, so one broken extension breaks only its own operators. Everything
``streamflow ops`` shows is derived from code.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, TypeVar

from streamflow.actors.base import REQUIRED, Operator
from streamflow.entrypoints import import_target
from streamflow.errors import StreamflowError, UnknownOperatorError

OpT = TypeVar("OpT", bound=type[Operator])
ENTRY_POINT_GROUP = "streamflow.operators"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: str | None  # repr of the default; None where the parameter is required
    annotation: str


@dataclass(frozen=True, slots=True)
class OperatorInfo:
    name: str
    kind: str
    domain: str
    description: str
    parameters: tuple[Param, ...]
    keys: tuple[Param, ...]
    expensive: bool
    stateful: bool
    executor: str
    allowed_prompts: tuple[str, ...]
    module: str
    extension: str | None = None
    """The installed distribution that provides it (None: built in)."""

    @classmethod
    def of(cls, op: type[Operator], domain: str, extension: str | None = None) -> OperatorInfo:
        doc = inspect.getdoc(op) or ""
        return cls(
            name=op.__name__,
            kind=op.kind,
            domain=domain,
            description=doc,
            parameters=_params(op.__init__, skip=("self",)),
            keys=tuple(
                Param(k, None if d is REQUIRED else repr(d), "") for k, d in op.hook_keys().items()
            ),
            expensive=op.expensive,
            stateful=op.stateful,
            executor=op.executor,
            allowed_prompts=tuple(t.__name__ for t in op.ALLOWED_PROMPTS),
            module=op.__module__,
            extension=extension,
        )

    @property
    def summary(self) -> str:
        return self.description.split("\n\n", 1)[0].replace("\n", " ")


@dataclass(frozen=True, slots=True)
class ExtensionOperator:
    """An operator an installed package declares, known by name before it is imported."""

    name: str
    target: str
    """``module:Class``"""
    extension: str
    """The distribution that declares it."""


class OperatorRegistry:
    """Name -> operator class; two operators may not share a name."""

    def __init__(self, entry_point_group: str = ENTRY_POINT_GROUP) -> None:
        self._ops: dict[str, tuple[type[Operator], str]] = {}
        self._builtin_loaded = False
        self._group = entry_point_group
        self._extensions: dict[str, ExtensionOperator] | None = None
        self._from: dict[str, str] = {}  # operator name -> extension that provided it

    def register(self, op: type[Operator], domain: str, *aliases: str) -> None:
        for name in (op.__name__, *aliases):
            known = self._ops.get(name)
            if known is not None and known[0] is not op:
                raise StreamflowError(
                    f"operator name {name!r} is registered twice: by "
                    f"{known[0].__module__}.{known[0].__qualname__} and by "
                    f"{op.__module__}.{op.__qualname__}"
                )
            self._ops[name] = (op, domain)

    def load_builtin(self) -> None:
        """Import every module of ``streamflow.operators`` once, registering the library."""
        if self._builtin_loaded:
            return
        self._builtin_loaded = True
        import streamflow.operators as package

        for mod in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(mod.name)

    def is_builtin(self, name: str) -> bool:
        """Whether ``name`` is an operator of streamflow itself (not of an extension)."""
        self.load_builtin()
        return name in self._ops and name not in self._from

    def extensions(self) -> dict[str, ExtensionOperator]:
        """Operators declared by installed packages, by name; nothing is imported."""
        if self._extensions is None:
            self.load_builtin()
            found: dict[str, ExtensionOperator] = {}
            for ep in entry_points(group=self._group):
                dist = ep.dist.name if ep.dist is not None else "an unknown package"
                entry = ExtensionOperator(ep.name, ep.value, dist)
                clash = found.get(ep.name)
                if clash is not None and clash.target != entry.target:
                    raise StreamflowError(
                        f"operator name {ep.name!r} is declared twice: by {clash.extension} "
                        f"({clash.target}) and by {dist} ({ep.value})"
                    )
                if ep.name in self._ops:
                    builtin = self._ops[ep.name][0]
                    raise StreamflowError(
                        f"operator name {ep.name!r} is declared by {dist} ({ep.value}) and "
                        f"built into streamflow ({builtin.__module__}.{builtin.__qualname__})"
                    )
                found[ep.name] = entry
            self._extensions = found
        return self._extensions

    def get(self, name: str) -> type[Operator]:
        self.load_builtin()
        known = self._ops.get(name)
        if known is not None:
            return known[0]
        entry = self.extensions().get(name)
        if entry is None:
            raise UnknownOperatorError(
                f"no operator named {name!r}; `streamflow ops list` shows them all"
            )
        return self._load(entry)

    def info(self, name: str) -> OperatorInfo:
        op = self.get(name)
        return OperatorInfo.of(op, self._ops[name][1], self._from.get(name))

    def _load(self, entry: ExtensionOperator) -> type[Operator]:
        """Import an extension's operator, with an error that says which package broke."""
        op = import_target("operator", entry.name, entry.extension, entry.target)
        if not (isinstance(op, type) and issubclass(op, Operator)):
            raise StreamflowError(
                f"operator {entry.name!r} from {entry.extension}: {entry.target} is not an "
                "Operator subclass"
            )
        if entry.name not in self._ops:
            self._ops[entry.name] = (op, getattr(op, "domain", None) or entry.extension)
        self._from[entry.name] = entry.extension
        return op

    def infos(self, kind: str | None = None, domain: str | None = None) -> list[OperatorInfo]:
        self.load_builtin()
        seen: set[type[Operator]] = set()
        out = []
        for op, op_domain in self._ops.values():
            if op in seen:
                continue
            seen.add(op)
            if kind not in (None, op.kind) or domain not in (None, op_domain):
                continue
            out.append(OperatorInfo.of(op, op_domain, self._from.get(op.__name__)))
        return sorted(out, key=lambda i: (i.domain, i.kind, i.name))


OPERATORS = OperatorRegistry()


def register_operator(domain: str, *aliases: str) -> Callable[[OpT], OpT]:
    """Class decorator adding an operator to the registry under its class name (and aliases)."""

    def decorate(op: OpT) -> OpT:
        OPERATORS.register(op, domain, *aliases)
        return op

    return decorate


def _params(fn: Any, skip: tuple[str, ...]) -> tuple[Param, ...]:
    if fn is object.__init__:
        return ()
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.name in skip or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = None if p.default is p.empty else repr(p.default)
        annotation = "" if p.annotation is p.empty else str(p.annotation)
        out.append(Param(p.name, default, annotation))
    return tuple(out)
