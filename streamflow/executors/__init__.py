"""How a compiled plan runs: the executor interface and the local executor.

``Pipeline`` compiles to a :class:`~streamflow.plan.Plan` and hands it, with a :class:`Job`
and :class:`RunOptions`, to an :class:`Executor`. :class:`LocalExecutor` (the default) runs it
in this process and owns the run-directory protocol; other executors implement the same
interface.
"""

from streamflow.executors.base import Executor, Job, Monitor, RunOptions, RunResult
from streamflow.executors.context import RunContext
from streamflow.executors.local import LocalExecutor
from streamflow.executors.runtime import Consumer, Producer, root_cause, run_plan

__all__ = [
    "Consumer",
    "Executor",
    "Job",
    "LocalExecutor",
    "Monitor",
    "Producer",
    "RunContext",
    "RunOptions",
    "RunResult",
    "root_cause",
    "run_plan",
]
