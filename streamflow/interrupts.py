"""Ctrl-C and SIGTERM as structured cancellation for blocking entry points.

asyncio's own Ctrl-C handling cancels the root task from outside anyio's cancel scopes; a run
cancelled that way could wait forever on a stage that never saw the cancellation. Here the
signal cancels the run's task group like any fatal error does, so every stage unwinds, files
are closed and the run store commits nothing half-written; then KeyboardInterrupt is raised.
A second signal during that clean-up exits at once with status 130. A signal the process was
started ignoring stays ignored (a shell starts background jobs ignoring SIGINT).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import sniffio

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def cancel_on_signal(call: Callable[[], Awaitable[T]]) -> T:
    """``await call()``; SIGINT or SIGTERM cancels it and raises KeyboardInterrupt.

    Outside the main thread (where signals cannot be received) ``call`` simply runs.
    """
    watched = [s for s in SIGNALS if signal.getsignal(s) is not signal.SIG_IGN]
    main = threading.current_thread() is threading.main_thread()
    if not watched or not main or sys.platform == "win32":
        return await call()
    interrupted = False
    outcome: list[T] = []
    error: list[Exception] = []
    with anyio.open_signal_receiver(*watched) as signals:
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                nonlocal interrupted
                async for _ in signals:
                    if interrupted:
                        os._exit(130)  # the user insists: the clean-up is taking too long
                    interrupted = True
                    tg.cancel_scope.cancel()

            tg.start_soon(watch)
            try:
                outcome.append(await call())
            except Exception as exc:  # raised as is below, not wrapped in an ExceptionGroup
                error.append(exc)
            tg.cancel_scope.cancel()
    if interrupted:
        raise KeyboardInterrupt
    if error:
        raise error[0]
    return outcome[0]


def in_async_code() -> bool:
    """Whether this thread is running an event loop: a blocking entry point called from async
    code must not start one of its own."""
    try:
        sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return False
    return True
