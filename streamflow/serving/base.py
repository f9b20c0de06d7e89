"""The serving contract every LLM backend fulfils, and what a request returns.

Actors call :meth:`LLMServing.complete` once per row (the per-request async API); DataFlow code
calls :meth:`LLMServing.generate_from_input` with a list of prompts. A backend bounds the
requests it has in flight (its admission limit): when the engine or the API is saturated,
``complete`` waits, the LLM operator's hook waits, and the channels upstream fill — that is how
a slow model turns into backpressure instead of a growing queue.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

import anyio
import anyio.from_thread
import anyio.lowlevel

from streamflow.errors import RunStopped, StreamflowError
from streamflow.interrupts import in_async_code
from streamflow.serving.hedging import Hedger, Hedging

Message = dict[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""


class UsageCounter(Protocol):
    """What counts a request's tokens and cost: the running step's statistics."""

    def add_usage(
        self, prompt_tokens: int, completion_tokens: int, cost: float = 0.0, hedged: bool = False
    ) -> None: ...


current_usage: ContextVar[UsageCounter | None] = ContextVar("current_usage", default=None)
"""Where requests made in this context count their usage. The actor sets it to its step's
statistics around each hook call, so operators never pass it along, and serving needs to know
nothing of the runtime above it."""


@dataclass(frozen=True, slots=True)
class SamplingParams:
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    n: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """One request's answer: ``texts`` holds ``n`` samples."""

    texts: list[str]
    usage: Usage = field(default_factory=Usage)
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.texts[0]


request_priority: ContextVar[int] = ContextVar("request_priority", default=0)
"""Which waiting request a saturated serving admits first: the highest value, then the oldest.

The runtime sets it to the position of the step that makes the request, so later steps go
first: rows already under way are finished before new ones are started (depth first). A
pipeline's first rows then come out after the time their own requests take, not after every
request queued ahead of them, and rows spend less time half done."""


class PriorityAdmission:
    """At most ``limit`` holders at once; a freed place goes to the waiter with the highest
    priority (the oldest among equals). Cancelling a waiter gives up its place in line."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"an admission limit must be >= 1, got {limit}")
        self.limit = limit
        self.held = 0
        self._queue: list[_Waiter] = []
        self._waiting = 0
        self._arrivals = itertools.count()
        self.on_idle: Callable[[], None] | None = None
        """Called when a place is freed with no request waiting for it (a straggling request
        may then send its copy there: :mod:`streamflow.serving.hedging`)."""

    def try_acquire(self) -> bool:
        """Take a place only if one is free with no request waiting for it."""
        if self.held < self.limit and not self._waiting:
            self.held += 1
            return True
        return False

    async def acquire(self, priority: int = 0) -> None:
        await anyio.lowlevel.checkpoint()
        if self.try_acquire():
            return
        waiter = _Waiter(-priority, next(self._arrivals))
        heapq.heappush(self._queue, waiter)
        self._waiting += 1
        try:
            await waiter.event.wait()
        except BaseException:
            if waiter.granted:  # granted as the cancellation arrived: pass the place on
                self.release()
            else:
                waiter.cancelled = True
                self._waiting -= 1
            raise

    def release(self) -> None:
        """Give the place to the next waiter, or free it."""
        while self._queue:
            waiter = heapq.heappop(self._queue)
            if waiter.cancelled:
                continue
            waiter.granted = True
            self._waiting -= 1
            waiter.event.set()
            return
        self.held -= 1
        if self.on_idle is not None:
            self.on_idle()


@dataclass(order=True)
class _Waiter:
    rank: int
    arrival: int
    event: anyio.Event = field(default_factory=anyio.Event, compare=False)
    granted: bool = field(default=False, compare=False)
    cancelled: bool = field(default=False, compare=False)


class LLMRequestError(StreamflowError):
    """A request that failed for good (after any retries): its row goes to the dead letters.

    ``reason`` is short and stable ("context too long", "content filter", "HTTP 400: ...",
    "gave up after 5 attempts: HTTP 503") so dead letters can be grouped by it.
    """

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        self.reason = reason
        self.transient = transient
        """True when trying again later may succeed (retries or deadline exhausted)."""
        super().__init__(reason)


class ServerPausedError(RunStopped):
    """The server asked every request to wait (HTTP 429 with ``Retry-After``) longer than a
    request may take (its deadline): no later request can succeed, so the run stops, quoting
    the server, instead of failing each row with "deadline exceeded"."""

    def __init__(self, base_url: str, retry_after: str, seconds: float, deadline: float) -> None:
        self.retry_after = retry_after
        self.seconds = seconds
        super().__init__(
            f"{base_url} asked every request to wait (HTTP 429, Retry-After: {retry_after}; "
            f"{seconds:,.0f}s), longer than the request deadline of {deadline:g}s: stopping "
            "instead of failing every row; run again after the pause (--resume continues), or "
            "raise the serving's deadline"
        )


class ServingStartError(StreamflowError):
    """A backend could not start (bad model path, out of memory, server unreachable)."""


class LLMServing(ABC):
    """Base of every backend. Subclasses implement :meth:`_complete`; usage is counted here."""

    model: str
    cost_per_prompt_token: float = 0.0
    cost_per_completion_token: float = 0.0

    def __init__(
        self,
        *,
        max_in_flight: int,
        params: SamplingParams | None = None,
        hedging: Hedging | None = None,
    ) -> None:
        self.params = params or SamplingParams()
        self.max_in_flight = max_in_flight
        self._admission = PriorityAdmission(max_in_flight)
        self._hedger = Hedger(hedging, self._admission) if hedging else None
        self.in_flight = 0
        self.peak_in_flight = 0

    async def complete(
        self,
        prompt: str | list[Message],
        *,
        system_prompt: str = "",
        json_schema: dict[str, Any] | None = None,
        params: SamplingParams | None = None,
    ) -> Completion:
        """One request. Waits while ``max_in_flight`` requests are outstanding (backpressure);
        waiting requests are admitted by :data:`request_priority`, then in arrival order."""
        messages = _messages(prompt, system_prompt)

        async def attempt() -> Completion:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                return await self._complete(messages, json_schema, params or self.params)
            finally:
                self.in_flight -= 1

        await self._admission.acquire(request_priority.get())
        try:
            if self._hedger is None:
                completion, hedged = await attempt(), False
            else:
                completion, hedged = await self._hedger.run(attempt)
        finally:
            self._admission.release()
        counter = current_usage.get()
        if counter is not None:
            usage = completion.usage
            counter.add_usage(
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.prompt_tokens * self.cost_per_prompt_token
                + usage.completion_tokens * self.cost_per_completion_token,
                hedged,
            )
        return completion

    def generate_from_input(
        self,
        user_inputs: list[str],
        system_prompt: str = "",
        json_schema: dict[str, Any] | None = None,
    ) -> Any:
        """DataFlow's entry point: one answer per prompt, in order, all requests concurrent.

        Awaited in async code (``await serving.generate_from_input(...)``: on a thread running
        an event loop this returns the coroutine). Called plainly, as DataFlow code does, it
        returns the answers: from a worker thread of a running pipeline (a DataFlow custom
        operator) the requests run on the pipeline's event loop; from a script, on an event loop
        of their own, starting and closing the serving around them unless it is started.
        """
        run = functools.partial(self._generate, user_inputs, system_prompt, json_schema)
        if in_async_code():
            return run()
        try:
            return anyio.from_thread.run(run)
        except RuntimeError:  # not a worker thread of an event loop
            pass
        return anyio.run(self._generate_standalone, run)

    async def _generate_standalone(self, run: Callable[[], Awaitable[list[str]]]) -> list[str]:
        if self.started:
            return await run()
        async with self:
            return await run()

    async def _generate(
        self, user_inputs: list[str], system_prompt: str, json_schema: dict[str, Any] | None
    ) -> list[str]:
        answers: list[str] = [""] * len(user_inputs)

        async def one(i: int, prompt: str) -> None:
            answers[i] = (
                await self.complete(prompt, system_prompt=system_prompt, json_schema=json_schema)
            ).text

        async with anyio.create_task_group() as tg:
            for i, prompt in enumerate(user_inputs):
                tg.start_soon(one, i, prompt)
        return answers

    @abstractmethod
    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion: ...

    def fingerprint(self) -> str:
        """What decides the answers (backend, model, sampling): part of a step's fingerprint,
        so a changed model invalidates stored results."""
        return f"{type(self).__name__}:{getattr(self, 'model', '')}:{self.params}"

    @property
    def started(self) -> bool:
        return getattr(self, "_started", False)

    async def start(self) -> None:
        """Start the engine or open the client (once; later calls do nothing)."""
        if not self.started:
            await self._start()
            self._started = True

    async def aclose(self) -> None:
        """Release the engine or client; safe to call twice."""
        if self.started:
            self._started = False
            await self._aclose()

    def cleanup(self) -> None:
        """DataFlow's call to free the engine between steps. Nothing to do here: a run starts
        each serving it uses and closes it when the run ends, and ``generate_from_input`` from
        a script closes what it started; so ``cleanup()`` in ``forward()`` is accepted."""
        return None

    async def _start(self) -> None:
        """Backend hook: start the engine, open the HTTP client."""
        return None

    async def _aclose(self) -> None:
        """Backend hook: shut the engine down, close the client."""
        return None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _messages(prompt: str | list[Message], system_prompt: str) -> list[Message]:
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system_prompt:
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


@asynccontextmanager
async def servings_started(servings: Iterable[LLMServing]) -> AsyncIterator[None]:
    """Start the servings a run uses and close, afterwards, the ones this run started.

    A serving the caller already started (``async with serving:`` around several runs, in a
    service) stays up: whoever starts a serving closes it.
    """
    async with AsyncExitStack() as stack:
        for serving in {id(s): s for s in servings}.values():
            if not serving.started:
                await stack.enter_async_context(serving)
        yield
