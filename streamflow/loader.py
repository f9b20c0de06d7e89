"""Finding the pipeline a user names: ``FILE.py``, ``FILE.py:Class``, a zoo name, or a name an
installed package declares in the entry-point group ``streamflow.pipelines``."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from streamflow.entrypoints import import_target
from streamflow.errors import StreamflowError
from streamflow.pipeline import Pipeline

PIPELINE_GROUP = "streamflow.pipelines"


@dataclass(frozen=True, slots=True)
class PipelineEntry:
    name: str
    target: str
    """``module`` (a shipped pipeline) or ``module:Class`` (an extension's)."""
    extension: str | None
    """The distribution that declares it (None: shipped with streamflow)."""

    @property
    def path(self) -> Path:
        """The source file, found without running the module."""
        spec = importlib.util.find_spec(self.target.partition(":")[0])
        if spec is None or spec.origin is None:
            raise StreamflowError(f"pipeline {self.name!r}: cannot find module {self.target}")
        return Path(spec.origin)


def load_pipeline_class(target: str) -> type[Pipeline]:
    """``path/to/file.py[:Class]``, or the name of a shipped or installed pipeline."""
    path_part, _, class_name = target.partition(":")
    if path_part.endswith(".py") or "/" in path_part:
        return _pick_class(_import_file(Path(path_part)), class_name, target)
    entry = pipelines().get(path_part)
    if entry is None:
        raise StreamflowError(
            f"{target!r} is neither a .py file nor a known pipeline; known: "
            f"{', '.join(pipelines())} (`streamflow pipelines list`)"
        )
    module_name, _, entry_class = entry.target.partition(":")
    module = import_target("pipeline", entry.name, entry.extension, module_name)
    return _pick_class(module, class_name or entry_class, target)


def pipelines() -> dict[str, PipelineEntry]:
    """Shipped pipelines and those installed packages declare, by name; nothing is imported."""
    import streamflow.pipelines as zoo

    found = {
        p.stem: PipelineEntry(p.stem, f"streamflow.pipelines.{p.stem}", None)
        for p in sorted(Path(zoo.__file__).parent.glob("*.py"))
        if p.stem != "__init__"
    }
    for ep in entry_points(group=PIPELINE_GROUP):
        dist = ep.dist.name if ep.dist is not None else "an unknown package"
        known = found.get(ep.name)
        if known is not None and known.target != ep.value:
            by = f"{known.extension} ({known.target})" if known.extension else "streamflow"
            raise StreamflowError(
                f"pipeline name {ep.name!r} is declared twice: by {by} and by {dist} ({ep.value})"
            )
        found[ep.name] = PipelineEntry(ep.name, ep.value, dist)
    return found


def _import_file(path: Path) -> ModuleType:
    """Import the file as a top-level module so process-pool workers can import it too."""
    if not path.is_file():
        raise StreamflowError(f"{path}: no such pipeline file")
    path = path.resolve()
    name = path.stem
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) != str(path):
        name = f"streamflow_user_{path.stem}"  # a clash with an installed module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StreamflowError(f"{path}: cannot be imported as a Python module")
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise StreamflowError(f"{path}: importing it failed: {type(exc).__name__}: {exc}") from exc
    except SystemExit as exc:  # an import that ends the process is a broken file, not an exit
        del sys.modules[name]
        raise StreamflowError(f"{path}: importing it called sys.exit({exc.code!r})") from None
    return module


def _pick_class(module: ModuleType, class_name: str, target: str) -> type[Pipeline]:
    """The module's Pipeline subclass, or its one plain DataFlow-style pipeline class (a class
    with ``forward()`` whose ``__init__`` sets ``self.storage``) made into one."""
    if class_name:
        cls = getattr(module, class_name, None)
        if inspect.isclass(cls) and issubclass(cls, Pipeline):
            return cls
        if inspect.isclass(cls) and _is_plain_pipeline(cls):
            return as_pipeline(cls)
        raise StreamflowError(f"{target}: {class_name!r} is not a pipeline class there")
    defined = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and obj.__module__ == module.__name__
    ]
    found = [c for c in defined if issubclass(c, Pipeline) and c is not Pipeline]
    if not found:
        found = [as_pipeline(c) for c in defined if _is_plain_pipeline(c)]
    if len(found) != 1:
        names = ", ".join(c.__name__ for c in found) or "none"
        raise StreamflowError(
            f"{target}: expected exactly one pipeline class (a Pipeline subclass, or a class "
            f"with forward()), found {names}; name one as FILE.py:Class"
        )
    return found[0]


def _is_plain_pipeline(cls: type) -> bool:
    return callable(getattr(cls, "forward", None)) and not issubclass(cls, Pipeline)


def as_pipeline(cls: type) -> type[Pipeline]:
    """A plain DataFlow pipeline class as a streamflow Pipeline: the same ``__init__`` and
    ``forward()``, compiled and streamed instead of run step by step."""
    forward = getattr(cls, "forward")  # noqa: B009 (checked by _is_plain_pipeline)
    namespace = {"forward": forward, "__module__": cls.__module__, "__doc__": cls.__doc__}
    return type(cls.__name__, (cls, Pipeline), namespace)
