"""Compatibility alias: this module moved to :mod:`streamflow.io.sources` (issue 10's layout).

Old imports (``from streamflow.store.sources import ...``) keep working; new code imports from
``streamflow.io.sources``. The store package holds only the LMDB run store, so the names are
looked up lazily, on first use.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # compatibility alias: store/ may not import io/ at module level (tests/test_layering.py)
    from streamflow.io import sources

    return getattr(sources, name)
