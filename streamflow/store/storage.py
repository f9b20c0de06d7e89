"""Compatibility alias: FileStorage moved to :mod:`streamflow.storage` (issue 10's layout).

Old imports (``from streamflow.store.storage import FileStorage``) keep working; new code
imports ``from streamflow import FileStorage``. The store package holds only the LMDB run
store, so the names are looked up lazily, on first use.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # compatibility alias: store/ may not import the pipeline layer at module level
    import streamflow.storage as storage

    return getattr(storage, name)
