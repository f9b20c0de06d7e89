"""One failing row of an expensive async batch costs that row's retry, not the batch's
(issue 9, item 10): answered rows are kept, and what is retried is retried concurrently."""

from __future__ import annotations

from typing import Any

import anyio
from helpers import Chain, read_jsonl, write_jsonl

from streamflow import Generator
from streamflow.operators.core_text import PromptedGenerator
from streamflow.operators.llm import ask_each
from streamflow.rows import Failure, Row
from streamflow.testing import ScriptedServing

ROWS = 64


def answer_or_raise(prompt: str) -> str:
    if prompt.endswith("row 17"):
        raise RuntimeError("the backend choked on row 17")
    return f"answer to {prompt}"


def test_ask_each_retries_only_the_request_that_raised() -> None:
    serving = ScriptedServing(answer_or_raise)
    prompts = [f"row {i}" for i in range(ROWS)]
    answers = anyio.run(lambda: ask_each(serving, prompts))
    assert len(serving.requests) == ROWS + 1  # the raising request once more, nothing else
    assert serving.prompts.count("row 17") == 2
    failure = answers[17]
    assert isinstance(failure, Failure) and failure.transient
    assert "RuntimeError: the backend choked on row 17" in failure.reason
    assert [a for i, a in enumerate(answers) if i != 17] == [
        f"answer to row {i}" for i in range(ROWS) if i != 17
    ]


def test_a_pipeline_keeps_the_answered_rows_and_dead_letters_the_raising_one(tmp_path) -> None:
    serving = ScriptedServing(answer_or_raise)
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(ROWS)])
    op = PromptedGenerator(serving, user_prompt="")
    result = Chain(
        [(op, {"input_key": "text", "output_key": "answer"})],
        first_entry_file_name=str(src),
        output_file=str(tmp_path / "out.jsonl"),
    ).run(batch_size=ROWS, run_dir=tmp_path / "rd")
    assert len(serving.requests) == ROWS + 1  # was 2 x 64: the whole batch again, row by row
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["text"] for r in out] == [f"row {i}" for i in range(ROWS) if i != 17]
    assert result.stats.failed == 1


class RaisesOnAnyBadRow(Generator):
    """An awaited hook that raises when a call holds a bad row; notes how many calls overlap."""

    expensive = True

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.running = self.peak = 0

    async def process(self, rows: list[Row], input_key: str) -> list[Any]:
        self.calls.append(len(rows))
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await anyio.sleep(0.01)
        finally:
            self.running -= 1
        if any(r[input_key] == 5 for r in rows):
            raise ValueError("five is bad")
        return [{**r, "ok": True} for r in rows]


def test_a_raising_awaited_hook_retries_its_rows_concurrently(tmp_path) -> None:
    op = RaisesOnAnyBadRow()
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(ROWS)])
    result = Chain(
        [(op, {"input_key": "n"})],
        first_entry_file_name=str(src),
        output_file=str(tmp_path / "out.jsonl"),
    ).run(batch_size=ROWS)
    assert op.calls == [ROWS] + [1] * ROWS  # the batch, then each row alone
    assert op.peak > 1  # ... at once, not one after the other
    assert [r["n"] for r in read_jsonl(tmp_path / "out.jsonl")] == [
        i for i in range(ROWS) if i != 5
    ]
    assert result.stats.failed == 1
