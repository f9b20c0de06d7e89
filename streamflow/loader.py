"""Finding the pipeline a user names: ``FILE.py``, ``FILE.py:Class`` or a zoo name."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

from streamflow.errors import StreamflowError
from streamflow.pipeline import Pipeline


def load_pipeline_class(target: str) -> type[Pipeline]:
    """``path/to/file.py[:Class]``, or the name of a shipped pipeline (``web_text``)."""
    path_part, _, class_name = target.partition(":")
    if path_part.endswith(".py") or "/" in path_part:
        module = _import_file(Path(path_part))
    else:
        try:
            module = importlib.import_module(f"streamflow.pipelines.{path_part}")
        except ModuleNotFoundError:
            raise StreamflowError(
                f"{target!r} is neither a .py file nor a shipped pipeline; "
                f"shipped: {', '.join(shipped_pipelines())}"
            ) from None
    return _pick_class(module, class_name, target)


def shipped_pipelines() -> list[str]:
    import streamflow.pipelines as zoo

    return sorted(p.stem for p in Path(zoo.__file__).parent.glob("*.py") if p.stem != "__init__")


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
    return module


def _pick_class(module: ModuleType, class_name: str, target: str) -> type[Pipeline]:
    if class_name:
        cls = getattr(module, class_name, None)
        if not (inspect.isclass(cls) and issubclass(cls, Pipeline)):
            raise StreamflowError(f"{target}: {class_name!r} is not a Pipeline subclass there")
        return cls
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Pipeline)
        and obj is not Pipeline
        and obj.__module__ == module.__name__
    ]
    if len(found) != 1:
        names = ", ".join(c.__name__ for c in found) or "none"
        raise StreamflowError(
            f"{target}: expected exactly one Pipeline subclass, found {names}; "
            "name one as FILE.py:Class"
        )
    return found[0]
