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
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import anyio

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


class Hedger:
    """One serving's hedging: its recent latencies, its budget, and the race of two attempts."""

    def __init__(self, policy: Hedging, admission: PriorityAdmission) -> None:
        self.policy = policy
        self.admission = admission
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.median: float | None = None
        self._since_median = 0
        self.tokens = 0.0
        self.sent = 0
        """Copies sent."""
        self.won = 0
        """Copies that answered first."""

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``attempt()``'s answer, raced against a copy if it straggles while a place is idle;
        with whether a copy was sent. The caller holds the request's own place."""
        delay = None if self.median is None else self.policy.after * self.median
        if delay is None:
            result = await self._timed(attempt)
            self._earn()
            return result, False
        answers: list[T] = []
        errors: list[Exception] = []
        stopped: list[RunStopped] = []
        copied = False

        async def copy(primary: anyio.CancelScope) -> None:
            nonlocal copied
            await anyio.sleep(delay)
            while True:
                if self.tokens < 1 - ROUNDING:
                    return
                if self.admission.try_acquire():
                    break
                await self.admission.place_freed()
            self.tokens -= 1
            self.sent += 1
            copied = True
            try:
                answer = await self._timed(attempt)
            except RunStopped as exc:
                stopped.append(exc)
                primary.cancel()
                return
            except Exception as exc:
                errors.append(exc)
                return
            finally:
                self.admission.release()
            if not answers:
                answers.append(answer)
                self.won += 1
                primary.cancel()

        async with anyio.create_task_group() as tg:
            with anyio.CancelScope() as primary:
                tg.start_soon(copy, primary)
                try:
                    answer = await self._timed(attempt)
                except RunStopped as exc:
                    stopped.append(exc)
                    tg.cancel_scope.cancel()
                except Exception as exc:
                    errors.append(exc)
                    if not copied:  # no copy under way: the request failed
                        tg.cancel_scope.cancel()
                else:
                    answers.append(answer)
                    tg.cancel_scope.cancel()
        self._earn()
        if stopped:
            raise stopped[0]
        if answers:
            return answers[0], copied
        raise errors[0]

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
