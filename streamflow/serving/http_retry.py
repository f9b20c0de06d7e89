"""The retry discipline of streamflow's HTTP backends, for requests other than chat completions.

:func:`call_with_retries` runs one request until it succeeds, a final error ends it, or it runs
out of attempts or time: jittered exponential backoff, never shorter than the server's
``Retry-After``; a 429 with ``Retry-After`` pauses every request of the backend (the server
is telling the whole client to slow down). :func:`classify` turns a non-200 answer into a
:class:`Retry` or a final :class:`~streamflow.serving.base.LLMRequestError` with a short, stable
reason, exactly as :class:`~streamflow.serving.openai_compat.OpenAIServing` does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import anyio

from streamflow.serving.base import LLMRequestError, ServerPausedError
from streamflow.serving.openai_compat import (
    _RETRY_STATUS,
    _error,
    _final_reason,
    _retry_after,
    _retry_after_header,
)

__all__ = ["Pause", "Retry", "call_with_retries", "classify"]

T = TypeVar("T")


class Retry(Exception):
    """An attempt that failed in a way another attempt may not."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.after = reason, after


class Pause:
    """A backend-wide pause requested by the server (429 with Retry-After)."""

    def __init__(self) -> None:
        self.until = 0.0
        self.header = ""
        """The Retry-After behind ``until``, as the server sent it."""

    async def wait(self) -> None:
        while (left := self.until - time.monotonic()) > 0:  # timers may fire early
            await anyio.sleep(left)


def classify(status: int, headers: Mapping[str, str], raw: bytes, pause: Pause) -> Exception:
    """What a non-200 answer means: a :class:`Retry`, or a final :class:`LLMRequestError`."""
    error = _error(raw)
    if status in _RETRY_STATUS and error.get("code") != "insufficient_quota":
        after = _retry_after(headers)
        if status == 429 and after is not None and time.monotonic() + after > pause.until:
            pause.until = time.monotonic() + after
            pause.header = _retry_after_header(headers)
        return Retry(f"HTTP {status}", after)
    return LLMRequestError(_final_reason(status, error))


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    pause: Pause,
    max_retries: int,
    backoff: float,
    max_backoff: float,
    deadline: float,
    name: str = "the server",
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or runs out of attempts or time.

    A server pause (429 with Retry-After) longer than ``deadline`` raises
    :class:`~streamflow.serving.base.ServerPausedError` naming ``name``: no request can
    outwait it, so the run stops instead of failing every row.
    """
    attempts = 0
    last = "no attempt"
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        if pause.until > ends:
            raise ServerPausedError(name, pause.header, pause.until - time.monotonic(), deadline)
        await pause.wait()
        attempts += 1
        try:
            return await attempt()
        except Retry as retry:
            last = retry.reason
            if retry.after is not None and retry.after > deadline:
                raise ServerPausedError(name, pause.header, retry.after, deadline) from None
            if attempts > max_retries:
                raise LLMRequestError(
                    f"gave up after {attempts} attempts: {last}", transient=True
                ) from None
            cap = min(max_backoff, backoff * 2 ** (attempts - 1))
            delay = cap / 2 + random.uniform(0, cap / 2)
            if retry.after is not None:
                delay = retry.after + delay / 2
            await anyio.sleep(min(delay, max(0.0, ends - time.monotonic())))
    raise LLMRequestError(
        f"deadline {deadline:g}s exceeded after {attempts} attempts: {last}", transient=True
    )
