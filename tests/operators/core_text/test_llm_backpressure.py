"""A slow model is backpressure: the source stalls instead of buffering the input upstream."""

from __future__ import annotations

from typing import Any

import anyio
from helpers import write_jsonl

from streamflow import RunStats
from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams


class SlowEngine(LLMServing):
    """Two requests at a time, 5 ms each: far slower than the source reads."""

    model = "slow"

    def __init__(self) -> None:
        super().__init__(max_in_flight=2)

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        await anyio.sleep(0.005)
        return Completion(["ok"])


def test_slow_engine_bounds_the_rows_buffered_upstream(chain, tmp_path):
    n, batch_size, capacity = 400, 10, 2
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(n)])
    engine = SlowEngine()
    steps = [(PromptedGenerator(engine), {"input_key": "text", "output_key": "a"})]
    peak_channel_rows = 0
    peak_in_flight = 0

    async def sample(stats: RunStats) -> None:
        nonlocal peak_channel_rows, peak_in_flight
        while True:
            for step in stats.steps[1:]:
                peak_channel_rows = max(peak_channel_rows, step.queue_depth() * batch_size)
            peak_in_flight = max(peak_in_flight, stats.source.rows_out - stats.sink.rows_out)
            await anyio.sleep(0.001)

    result = chain(steps, entry_file=src, output_file=tmp_path / "o.jsonl").run(
        batch_size=batch_size, capacity=capacity, monitor=sample
    )
    assert result.rows_written == n
    assert engine.peak_in_flight == 2  # the admission limit binds...
    assert 0 < peak_channel_rows <= capacity * batch_size  # ...so the channel before it fills
    # 2 channels of `capacity` batches, plus at most two batches held by each of the 3 tasks:
    # far below the 400 rows a source that did not stall would have read.
    bound = (2 * capacity + 2 * 3) * batch_size
    assert peak_in_flight <= bound, (peak_in_flight, bound)
