"""How a compiled plan runs: the executor interface and the local executor.

``Pipeline`` compiles to a :class:`~streamflow.plan.Plan` and hands it, with a :class:`Job`
and :class:`RunOptions`, to an :class:`Executor`. :class:`LocalExecutor` (the default) runs it
in this process and owns the run-directory protocol; other executors implement the same
interface: :class:`~streamflow.executors.ray.RayExecutor` runs the same plan on a Ray cluster.
"""

from __future__ import annotations

from streamflow.executors.base import Executor, Job, Monitor, RunOptions, RunResult
from streamflow.executors.context import RunContext
from streamflow.executors.local import LocalExecutor
from streamflow.executors.runtime import Consumer, Producer, root_cause, run_plan

EXECUTORS = ("local", "ray")
"""The executors known by name (``streamflow run --executor``, ``Pipeline.run(executor=...)``)."""


def make_executor(name: str, *, address: str | None = None) -> Executor:
    """The executor called ``name``; ``address`` is a Ray cluster's (Ray only)."""
    if name == "local":
        if address is not None:
            raise ValueError("--address names a Ray cluster: use it with --executor ray")
        return LocalExecutor()
    if name == "ray":
        from streamflow.executors.ray import RayExecutor  # imports no Ray until it runs

        return RayExecutor(address)
    raise ValueError(f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}")


__all__ = [
    "EXECUTORS",
    "Consumer",
    "Executor",
    "Job",
    "LocalExecutor",
    "Monitor",
    "Producer",
    "RunContext",
    "RunOptions",
    "RunResult",
    "make_executor",
    "root_cause",
    "run_plan",
]
