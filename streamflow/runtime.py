"""Compatibility alias: the runtime moved to :mod:`streamflow.executors.runtime` (issue 10).

Old imports (``from streamflow.runtime import RunOptions``) keep working; new code imports from
:mod:`streamflow.executors`.
"""

from streamflow.executors.runtime import (
    Consumer,
    Monitor,
    Producer,
    RunOptions,
    RunResult,
    execute,
    root_cause,
)

__all__ = [
    "Consumer",
    "Monitor",
    "Producer",
    "RunOptions",
    "RunResult",
    "execute",
    "root_cause",
]
