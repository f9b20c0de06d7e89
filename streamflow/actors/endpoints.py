"""Compatibility alias: the run's two ends moved to :mod:`streamflow.executors.endpoints`.

Old imports (``from streamflow.actors.endpoints import file_producer``) keep working; the names
are looked up lazily, on first use.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # compatibility alias: actors/ may not import executors/ at module level (test_layering.py)
    from streamflow.executors import endpoints

    return getattr(endpoints, name)
