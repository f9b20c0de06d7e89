"""Compatibility alias: the runtime moved to :mod:`streamflow.executors` (issue 10).

Old imports (``from streamflow.runtime import RunOptions``) keep working, and so does
:func:`execute` with its old keyword arguments; new code uses
:func:`streamflow.executors.run_plan`, whose :class:`~streamflow.executors.RunContext` bundles
what always travelled together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from streamflow.channels.stats import OperatorStats
from streamflow.executors import (
    Consumer,
    Monitor,
    Producer,
    RunContext,
    RunOptions,
    RunResult,
    root_cause,
    run_plan,
)
from streamflow.plan import Plan
from streamflow.store.deadletters import DeadLetters, DropLog
from streamflow.store.runstore import RunStore

__all__ = [
    "Consumer",
    "Monitor",
    "Producer",
    "RunOptions",
    "RunResult",
    "execute",
    "root_cause",
]


async def execute(
    plan: Plan,
    produce: Callable[[Any, OperatorStats], Awaitable[None]],
    consume: Callable[[Any, OperatorStats], Awaitable[None]],
    *,
    options: RunOptions,
    dead_letters: DeadLetters,
    dropped: DropLog,
    source_name: str = "source",
    sink_name: str = "sink",
    monitor: Monitor | None = None,
    store: RunStore | None = None,
    fingerprints: list[str] | None = None,
    states: dict[str, Any] | None = None,
) -> RunResult:
    """The old entry point: :func:`~streamflow.executors.run_plan` with its context spelled
    out in keyword arguments."""
    return await run_plan(
        plan,
        Producer(source_name, produce),
        Consumer(sink_name, consume),
        options=options,
        context=RunContext(dead_letters, dropped, store, fingerprints, states),
        monitor=monitor,
    )
