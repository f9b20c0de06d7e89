"""The admission limit: at most N requests in flight; waiters served by priority, then age."""

from __future__ import annotations

import anyio
import pytest

from streamflow.serving.base import PriorityAdmission, request_priority
from streamflow.testing import ScriptedServing


async def _hold(admission: PriorityAdmission, order: list[str], name: str, priority: int) -> None:
    await admission.acquire(priority)
    order.append(name)
    await anyio.sleep(0.01)
    admission.release()


@pytest.mark.anyio
async def test_waiters_go_by_priority_then_arrival() -> None:
    admission = PriorityAdmission(1)
    await admission.acquire()
    order: list[str] = []
    async with anyio.create_task_group() as tg:
        for name, priority in [("a0", 0), ("b2", 2), ("c1", 1), ("d2", 2), ("e0", 0)]:
            tg.start_soon(_hold, admission, order, name, priority)
            await anyio.sleep(0.001)  # arrive in this order
        admission.release()
    assert order == ["b2", "d2", "c1", "a0", "e0"]
    assert admission.held == 0


@pytest.mark.anyio
async def test_never_more_than_the_limit() -> None:
    admission = PriorityAdmission(3)
    inside = peak = 0

    async def one(priority: int) -> None:
        nonlocal inside, peak
        await admission.acquire(priority)
        inside += 1
        peak = max(peak, inside)
        await anyio.sleep(0.002)
        inside -= 1
        admission.release()

    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(one, i % 5)
    assert peak == 3 and admission.held == 0


@pytest.mark.anyio
async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    admission = PriorityAdmission(1)
    await admission.acquire()
    order: list[str] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(_hold, admission, order, "x", 5)
        await anyio.sleep(0.001)

        async def cancelled_waiter() -> None:
            with anyio.move_on_after(0.005):
                await admission.acquire(9)
                order.append("never")

        tg.start_soon(cancelled_waiter)
        await anyio.sleep(0.02)  # it gave up while waiting
        tg.start_soon(_hold, admission, order, "y", 1)
        await anyio.sleep(0.001)
        admission.release()
    assert order == ["x", "y"]
    assert admission.held == 0


@pytest.mark.anyio
async def test_a_waiter_cancelled_as_it_is_granted_passes_the_place_on() -> None:
    admission = PriorityAdmission(1)
    await admission.acquire()
    order: list[str] = []
    async with anyio.create_task_group() as tg:
        scope = anyio.CancelScope()

        async def granted_then_cancelled() -> None:
            with scope:  # used as complete() uses it: whatever is acquired is released
                await admission.acquire(5)
                try:
                    await anyio.sleep(10)
                    order.append("never")
                finally:
                    admission.release()

        tg.start_soon(granted_then_cancelled)
        tg.start_soon(_hold, admission, order, "next", 1)
        await anyio.sleep(0.001)
        admission.release()  # grants "granted_then_cancelled"...
        scope.cancel()  # ...which is cancelled before it runs
    assert order == ["next"]
    assert admission.held == 0


@pytest.mark.anyio
async def test_serving_admits_later_steps_first() -> None:
    """With one place, requests made under a higher ``request_priority`` (a later step of a
    pipeline) overtake those already waiting."""
    serving = ScriptedServing(lambda p: p, delay=0.01, max_in_flight=1)
    served: list[str] = []

    async def ask(prompt: str, priority: int) -> None:
        request_priority.set(priority)
        served.append((await serving.complete(prompt)).text)

    async with anyio.create_task_group() as tg:
        for prompt, priority in [("first", 0), ("early-1", 0), ("early-2", 0), ("late", 7)]:
            tg.start_soon(ask, prompt, priority)
            await anyio.sleep(0.001)
    assert served == ["first", "late", "early-1", "early-2"]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="admission limit"):
        PriorityAdmission(0)
