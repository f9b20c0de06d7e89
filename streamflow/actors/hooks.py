"""Calling an operator's hook where it belongs: on the loop, in a thread, or in a process.

``async def`` hooks are awaited on the event loop. A synchronous hook never runs on the loop:
it goes to a worker thread, or, for operators that declare ``executor = "process"``, to a pool
of worker processes so CPU-heavy work (HTML extraction, tokenisation) uses every core.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import anyio
import anyio.to_process
import anyio.to_thread

from streamflow.actors.base import Operator
from streamflow.rows import Row


def call_in_process(op: Operator, rows: list[Row], keys: dict[str, Any]) -> Any:
    """Run in a worker process: the operator and rows arrive pickled."""
    return op.hook(rows, **keys)


async def call_hook(op: Operator, rows: list[Row], keys: dict[str, Any]) -> Any:
    hook = op.hook
    if inspect.iscoroutinefunction(hook):
        return await hook(rows, **keys)
    if op.executor_kind == "process":
        return await anyio.to_process.run_sync(call_in_process, op, rows, keys)
    return await anyio.to_thread.run_sync(functools.partial(hook, rows, **keys))
