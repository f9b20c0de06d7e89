"""The operator and prompt-template registries: every name, where it comes from, what it is.

Three sources, one namespace per registry:

- **The library.** Each domain package of ``streamflow.operators`` (a subpackage whose
  ``__init__`` calls :func:`~streamflow.operators._lazy.lazy_domain`) maps its operator and
  prompt-template names to modules; the domain is the package's name. The maps are read
  without importing any operator module; a module is imported when one of its names is used
  (listing with ``infos()`` imports them all, which is cheap: no operator module imports a
  heavy library at its top).
- **Installed packages**, through the entry-point groups ``streamflow.operators`` and
  ``streamflow.prompts`` (name = operator or template name, value = ``module:Class``). Those
  are imported only when used, so one broken extension breaks only its own operators, and its
  error names the package. An extension may not reuse a name of the library or of another
  extension: both are named in the error.
- **User code** that calls :func:`register_operator` at run time.

Everything ``streamflow ops`` and ``streamflow prompts`` show is derived from code.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, TypeVar, overload

from streamflow.actors.base import REQUIRED, Operator
from streamflow.entrypoints import import_target
from streamflow.errors import StreamflowError, UnknownOperatorError
from streamflow.operators._lazy import LazyDomain, declared_domain
from streamflow.prompts.base import PromptTemplate

__all__ = [
    "ENTRY_POINT_GROUP",
    "LIBRARY",
    "OPERATORS",
    "PROMPT_GROUP",
    "BuiltinName",
    "ExtensionOperator",
    "OperatorInfo",
    "OperatorRegistry",
    "Param",
    "PromptEntry",
    "domains",
    "load_prompt",
    "prompt_templates",
    "register_operator",
]

OpT = TypeVar("OpT", bound=type[Operator])
ENTRY_POINT_GROUP = "streamflow.operators"
PROMPT_GROUP = "streamflow.prompts"
LIBRARY = "streamflow.operators"
"""The package whose domain subpackages make up the library."""


# -- the library's domains ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuiltinName:
    """A name one domain of the library declares, known before its module is imported."""

    name: str
    domain: str
    module: str
    """The full name of the module that defines it."""


def domains(package: str = LIBRARY) -> list[LazyDomain]:
    """The domain packages of ``package``, by name (only their ``__init__`` is imported)."""
    root = importlib.import_module(package)
    found = []
    for sub in pkgutil.iter_modules(root.__path__, f"{package}."):
        if sub.ispkg and not sub.name.rpartition(".")[2].startswith("_"):
            domain = declared_domain(sub.name)
            if domain is not None:
                found.append(domain)
    return sorted(found, key=lambda d: d.name)


def _declared(package: str, what: str) -> dict[str, BuiltinName]:
    """Every operator (``what="operators"``) or prompt template of the library's domains; a name
    two domains declare is an error naming both."""
    found: dict[str, BuiltinName] = {}
    for domain in domains(package):
        for name in getattr(domain, what):
            entry = BuiltinName(name, domain.name, domain.module_of(name))
            clash = found.get(name)
            if clash is not None:
                raise StreamflowError(
                    f"{what[:-1]} name {name!r} is declared by two domains: {clash.module} and "
                    f"{entry.module}"
                )
            found[name] = entry
    return found


# -- operators -------------------------------------------------------------------------------------


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
            kind=str(op.kind),
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
    """Name -> operator class; two operators may not share a name (an alias is one class under
    a second name)."""

    def __init__(self, entry_point_group: str = ENTRY_POINT_GROUP, package: str = LIBRARY) -> None:
        self._group = entry_point_group
        self._package = package
        self._builtin: dict[str, BuiltinName] | None = None
        self._ops: dict[str, tuple[type[Operator], str]] = {}  # resolved: name -> (class, domain)
        self._registered: set[str] = set()  # names user code registered at run time
        self._extensions: dict[str, ExtensionOperator] | None = None
        self._from: dict[str, str] = {}  # operator name -> extension that provided it

    # -- what is known without importing ---------------------------------------------------------

    def builtin(self) -> dict[str, BuiltinName]:
        """The library's operators by name, from the domains' maps; nothing is imported."""
        if self._builtin is None:
            self._builtin = _declared(self._package, "operators")
        return self._builtin

    def is_builtin(self, name: str) -> bool:
        """Whether ``name`` is an operator of streamflow itself or registered by user code at
        run time (not one of an extension)."""
        return name in self.builtin() or name in self._registered

    def extensions(self) -> dict[str, ExtensionOperator]:
        """Operators declared by installed packages, by name; nothing is imported."""
        if self._extensions is None:
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
                if self.is_builtin(ep.name):
                    raise StreamflowError(
                        f"operator name {ep.name!r} is declared by {dist} ({ep.value}) and "
                        f"built into streamflow ({self._where(ep.name)})"
                    )
                found[ep.name] = entry
            self._extensions = found
        return self._extensions

    # -- classes -----------------------------------------------------------------------------------

    def get(self, name: str) -> type[Operator]:
        """The operator class called ``name`` (imported now if it was not yet)."""
        known = self._ops.get(name)
        if known is not None:
            return known[0]
        builtin = self.builtin().get(name)
        if builtin is not None:
            return self._load_builtin(builtin)
        entry = self.extensions().get(name)
        if entry is None:
            raise UnknownOperatorError(
                f"no operator named {name!r}; `streamflow ops list` shows them all"
            )
        return self._load(entry)

    def info(self, name: str) -> OperatorInfo:
        op = self.get(name)
        return OperatorInfo.of(op, self._ops[name][1], self._from.get(name))

    def infos(self, kind: str | None = None, domain: str | None = None) -> list[OperatorInfo]:
        """Every operator of the library and of user code, and the extensions' operators imported
        so far, filtered by kind and domain; an alias is listed once, under its class's name."""
        for entry in self.builtin().values():
            if domain in (None, entry.domain) and entry.name not in self._ops:
                self._load_builtin(entry)
        seen: set[type[Operator]] = set()
        out = []
        for op, op_domain in self._ops.values():
            if op in seen:
                continue
            seen.add(op)
            if kind not in (None, op.kind) or domain not in (None, op_domain):
                continue
            out.append(OperatorInfo.of(op, op_domain, self._from.get(op.__name__)))
        return sorted(out, key=lambda i: (i.domain, str(i.kind), i.name))

    def load_builtin(self) -> None:
        """Import every operator module of the library (``infos()`` does it as needed; kept for
        code written against streamflow 0.1)."""
        for entry in self.builtin().values():
            self._load_builtin(entry)

    def register(self, op: type[Operator], domain: str | None = None, *aliases: str) -> None:
        """Add ``op`` under its class name and ``aliases``, in ``domain`` (by default its
        ``domain`` attribute, else the top-level package of its module)."""
        if not (isinstance(op, type) and issubclass(op, Operator)):
            raise TypeError(f"register_operator: {op!r} is not an Operator subclass")
        domain = domain or _default_domain(op)
        for name in (op.__name__, *aliases):
            known = self._ops.get(name)
            if known is None and name in self.builtin():
                known = (self.get(name), "")
            if known is not None and known[0] is not op:
                raise StreamflowError(
                    f"operator name {name!r} is registered twice: by "
                    f"{known[0].__module__}.{known[0].__qualname__} and by "
                    f"{op.__module__}.{op.__qualname__}"
                )
        for name in (op.__name__, *aliases):
            if name not in self.builtin():
                self._ops[name] = (op, domain)
                self._registered.add(name)

    def _load_builtin(self, entry: BuiltinName) -> type[Operator]:
        op = import_target("operator", entry.name, None, f"{entry.module}:{entry.name}")
        if not (isinstance(op, type) and issubclass(op, Operator)):
            raise StreamflowError(
                f"operator {entry.name!r} of domain {entry.domain}: {entry.module}.{entry.name} "
                "is not an Operator subclass"
            )
        self._ops[entry.name] = (op, entry.domain)
        return op

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

    def _where(self, name: str) -> str:
        """Where a library or user operator is defined, without importing it."""
        builtin = self.builtin().get(name)
        if builtin is not None:
            return f"{builtin.module}.{name}"
        op = self._ops[name][0]
        return f"{op.__module__}.{op.__qualname__}"


OPERATORS = OperatorRegistry()


@overload
def register_operator(domain: OpT, /) -> OpT: ...
@overload
def register_operator(domain: str | None = None, /, *aliases: str) -> Callable[[OpT], OpT]: ...
def register_operator(domain: Any = None, /, *aliases: str) -> Any:
    """Class decorator adding a user's operator to :data:`OPERATORS` under its class name (and
    ``aliases``): ``@register_operator``, ``@register_operator("my_domain")`` or
    ``@register_operator("my_domain", "OldName")``. The library's own operators are not
    registered this way: their domain package's map is their registration."""
    if isinstance(domain, type):
        OPERATORS.register(domain)
        return domain

    def decorate(op: OpT) -> OpT:
        OPERATORS.register(op, domain, *aliases)
        return op

    return decorate


def _default_domain(op: type[Operator]) -> str:
    declared = getattr(op, "domain", None)
    if isinstance(declared, str) and declared:
        return declared
    module = op.__module__
    if module.startswith(f"{LIBRARY}."):
        return module.split(".")[2]
    top = module.partition(".")[0]
    return "user" if top == "__main__" else top


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


# -- prompt templates ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptEntry:
    name: str
    target: str
    """``module:Class``"""
    extension: str | None
    """The distribution that declares it (None: shipped with streamflow)."""


def prompt_templates(package: str = LIBRARY) -> dict[str, PromptEntry]:
    """Every known template by name, sorted: the library's (from the domains' maps) and those
    installed packages declare. Nothing but the domain packages' ``__init__`` is imported."""
    found = {
        name: PromptEntry(name, f"{entry.module}:{name}", None)
        for name, entry in _declared(package, "prompts").items()
    }
    for ep in entry_points(group=PROMPT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "an unknown package"
        known = found.get(ep.name)
        if known is not None and known.target != ep.value:
            by = known.extension or "streamflow"
            raise StreamflowError(
                f"prompt template {ep.name!r} is declared twice: by {by} ({known.target}) "
                f"and by {dist} ({ep.value})"
            )
        found[ep.name] = PromptEntry(ep.name, ep.value, dist)
    return dict(sorted(found.items()))


def load_prompt(name: str, package: str = LIBRARY) -> type[PromptTemplate]:
    """The template class called ``name``, imported now."""
    entry = prompt_templates(package).get(name)
    if entry is None:
        raise StreamflowError(f"no prompt template named {name!r}; `streamflow prompts list`")
    cls = import_target("prompt template", name, entry.extension, entry.target)
    if not (isinstance(cls, type) and issubclass(cls, PromptTemplate)):
        raise StreamflowError(f"prompt template {name!r}: {entry.target} is not a PromptTemplate")
    return cls
