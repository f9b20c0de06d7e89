"""Per-operator statistics: the numbers behind the live display, the summary and ``status``.

Actors update these counters on the event loop only (never from worker threads), so no locks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streamflow.serving.base import current_usage


@dataclass
class OperatorStats:
    """Counters for one step of a run (a source and a sink count as steps too)."""

    name: str
    kind: str
    rows_in: int = 0
    rows_out: int = 0
    dropped: int = 0
    failed: int = 0
    batches: int = 0
    busy_seconds: float = 0.0
    started: float | None = None
    finished: float | None = None
    requests: int = 0
    """LLM requests made, counted by the serving layer through :data:`current_stats`."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    truncated: int = 0
    """Answers cut off at max_tokens that the operator accepted (``accept_truncated``)."""
    hedged: int = 0
    """Requests whose straggling first attempt was copied into an idle place
    (:mod:`streamflow.serving.hedging`); each is counted once in ``requests``."""
    queue_depth: Callable[[], int] = field(default=lambda: 0, repr=False)
    """Batches waiting in this step's inbound channel, read live from the channel."""

    def add_usage(
        self, prompt_tokens: int, completion_tokens: int, cost: float = 0.0, hedged: bool = False
    ) -> None:
        self.requests += 1
        self.hedged += hedged
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost += cost

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def finish(self) -> None:
        self.finished = time.monotonic()

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def rows_per_second(self) -> float:
        elapsed = self.elapsed
        return self.rows_in / elapsed if elapsed > 0 else 0.0

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": self.dropped,
            "failed": self.failed,
            "batches": self.batches,
            "busy_seconds": round(self.busy_seconds, 3),
            "elapsed_seconds": round(self.elapsed, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "queue_depth": self.queue_depth(),
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
            "truncated": self.truncated,
            "hedged": self.hedged,
        }


@dataclass
class RunStats:
    """The statistics of a whole run, in plan order: source, operators, sink."""

    steps: list[OperatorStats]
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def source(self) -> OperatorStats:
        return self.steps[0]

    @property
    def sink(self) -> OperatorStats:
        return self.steps[-1]

    @property
    def operators(self) -> list[OperatorStats]:
        return self.steps[1:-1]

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.steps)

    @property
    def dropped(self) -> int:
        return sum(s.dropped for s in self.steps)

    def snapshot(self) -> dict[str, Any]:
        return {
            "elapsed_seconds": round(self.elapsed, 3),
            "steps": [s.snapshot() for s in self.steps],
        }


current_stats = current_usage
"""The statistics of the operator whose hook is running in this context (set by its actor), so
the serving layer counts tokens against the right operator without operators passing it. The
context variable is serving's :data:`~streamflow.serving.base.current_usage`: serving is below
the actors and may not import them."""
