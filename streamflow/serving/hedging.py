"""Hedged requests: a copy of a straggling request, sent only into an idle place.

A long-tailed API answers most calls near its median and a few ten times slower. While every
place of the serving's admission limit is busy that costs nothing: a straggler holds one
place, the others go on. But when the work under way runs out (a run's last rows, a small
pipeline inside a service, a source slower than the model) rows wait on their stragglers while
places sit idle: in B6 the last two seconds of a thirty-second run kept a quarter of the places
busy. A serving with a :class:`Hedging` policy then sends a copy of a request that has been out
longer than ``after`` times the recent median latency, takes the first answer and cancels the
other ("The Tail at Scale", Dean and Barroso, 2013).

The contract:

- A copy takes only a place that is free with no request waiting for it
  (:meth:`~streamflow.serving.base.PriorityAdmission.try_acquire`), so it never delays another
  row's request; while every place is taken it waits for one to be left idle.
- At most one copy per request, and at most ``budget`` copies per request over time: a token
  bucket that each finished request refills by ``budget`` (holding at most the admission
  limit), so a run sends at most ``budget`` extra requests (2% by default) whatever its shape.
  No copy is sent before ``min_samples`` requests have told the median.
- The first answer wins and the other attempt is cancelled. If one attempt fails, the other's
  answer is still awaited; if both fail, the first error is raised. A
  :class:`~streamflow.errors.RunStopped` from either stops the request at once.
- The usage counted is the winner's; a copied request is counted in the step's ``hedged``
  statistic. An API may bill the prompt of a cancelled request: that is the price, bounded by
  ``budget``. Pass ``hedging=None`` to a serving to send no copies.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from anyio.abc import TaskGroup

from streamflow.errors import RunStopped

if TYPE_CHECKING:
    from streamflow.serving.base import PriorityAdmission

__all__ = ["DEFAULT_HEDGING", "Hedger", "Hedging"]

T = TypeVar("T")

LATENCY_SAMPLES = 256
"""Recent successful attempts the median latency is taken over."""

ROUNDING = 1e-9
"""Slack in the token count: fifty refills of 0.02 add up to 0.9999999999999999."""

MEDIAN_EVERY = 32
"""Attempts between two recomputations of the median (a sort of :data:`LATENCY_SAMPLES`)."""


@dataclass(frozen=True)
class Hedging:
    """When a serving sends a copy of a straggling request (see the module's contract)."""

    after: float = 3.0
    """A request is copied once it has been out this many times the recent median latency
    (for B6's lognormal server, p99/p50 = 10, one request in eight)."""
    budget: float = 0.02
    """Copies per finished request, at most, over time."""
    min_samples: int = 32
    """Finished requests needed before the median is trusted and copies may be sent."""

    def __post_init__(self) -> None:
        if self.after <= 0 or not 0 < self.budget <= 1 or self.min_samples < 1:
            raise ValueError(
                f"Hedging needs after > 0, 0 < budget <= 1 and min_samples >= 1, got {self}"
            )


DEFAULT_HEDGING = Hedging()
"""What an API serving hedges with unless told otherwise."""


@dataclass(eq=False)
class _Request:
    """A request under way, as the hedger sees it."""

    attempt: Callable[[], Awaitable[Any]]
    started: float
    group: TaskGroup
    primary: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    spawned: bool = False
    """A copy or the alarm runs in this request's task group."""
    copied: bool = False
    answer: Any = None
    answered: bool = False
    errors: list[Exception] = field(default_factory=list)
    stopped: RunStopped | None = None


class Hedger:
    """One serving's hedging: its recent latencies, its budget, its requests under way.

    Nothing runs per request but a task group that stays empty: a copy is started only when a
    place goes idle (:attr:`PriorityAdmission.on_idle <streamflow.serving.base.PriorityAdmission>`)
    or when the one alarm rings (the oldest request under way becoming a straggler while a
    place is idle), in the task group of the request it copies.
    """

    def __init__(self, policy: Hedging, admission: PriorityAdmission) -> None:
        self.policy = policy
        self.admission = admission
        admission.on_idle = self._place_idle
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.median: float | None = None
        self._since_median = 0
        self.tokens = 0.0
        self.sent = 0
        """Copies sent."""
        self.won = 0
        """Copies that answered first."""
        self._under_way: dict[_Request, None] = {}
        """Requests that may still be copied, oldest first."""
        self._alarm = False
        """The alarm is set (in the task group of the oldest request under way)."""

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``attempt()``'s answer, raced against a copy if it straggles while a place is idle;
        with whether a copy was sent. The caller holds the request's own place."""
        if self.median is None:
            result = await self._timed(attempt)
            self._earn()
            return result, False
        async with anyio.create_task_group() as group:
            request = _Request(attempt, anyio.current_time(), group)
            self._under_way[request] = None
            try:
                if not self._alarm and self.admission.held < self.admission.limit:
                    self._place_idle()  # places are idle already: set the alarm
                with request.primary:
                    try:
                        answer = await self._timed(attempt)
                    except RunStopped as exc:
                        request.stopped = exc
                    except Exception as exc:
                        request.errors.append(exc)
                    else:
                        if not request.answered:
                            request.answer, request.answered = answer, True
            finally:
                self._under_way.pop(request, None)
            if request.spawned and (request.answered or request.stopped or not request.copied):
                group.cancel_scope.cancel()  # the alarm, or a copy that lost
        self._earn()
        if request.stopped is not None:
            raise request.stopped
        if request.answered:
            return request.answer, request.copied
        raise request.errors[0]

    def _place_idle(self) -> None:
        """A place is free with no request waiting for it: copy the oldest stragglers into idle
        places while the budget lasts, or set the alarm for when the oldest becomes one."""
        if self.median is None:
            return
        delay = self.policy.after * self.median
        now = anyio.current_time()
        while self._under_way:  # the oldest first; a copied request leaves the dict
            request = next(iter(self._under_way))
            due = request.started + delay
            if due > now:
                if not self._alarm:
                    self._alarm = True
                    request.spawned = True
                    request.group.start_soon(self._ring, due - now)
                return
            if self.tokens < 1 - ROUNDING or not self.admission.try_acquire():
                return
            del self._under_way[request]
            self.tokens -= 1
            self.sent += 1
            request.copied = request.spawned = True
            request.group.start_soon(self._copy, request)

    async def _ring(self, seconds: float) -> None:
        try:
            await anyio.sleep(seconds)
        finally:
            self._alarm = False
        if self.admission.held < self.admission.limit:
            self._place_idle()

    async def _copy(self, request: _Request) -> None:
        try:
            answer = await self._timed(request.attempt)
        except RunStopped as exc:
            request.stopped = exc
            request.primary.cancel()
            return
        except Exception as exc:
            request.errors.append(exc)
            return
        finally:
            self.admission.release()
        if not request.answered:
            request.answer, request.answered = answer, True
            self.won += 1
            request.primary.cancel()

    async def _timed(self, attempt: Callable[[], Awaitable[T]]) -> T:
        started = time.monotonic()
        result = await attempt()
        self.latencies.append(time.monotonic() - started)
        self._since_median += 1
        enough = len(self.latencies) >= self.policy.min_samples
        if enough and (self.median is None or self._since_median >= MEDIAN_EVERY):
            ordered = sorted(self.latencies)
            self.median = ordered[len(ordered) // 2]
            self._since_median = 0
        return result

    def _earn(self) -> None:
        self.tokens = min(float(self.admission.limit), self.tokens + self.policy.budget)
