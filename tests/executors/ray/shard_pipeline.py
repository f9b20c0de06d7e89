"""The pipeline the shard tests run: cheap stateless steps only (refiners, filters, a rule that
fails some rows), so the Ray executor runs it on input shards read by its workers.

It is a pipeline file (``streamflow run tests/executors/ray/shard_pipeline.py``) so the driver
can run in its own process and be killed. ``SF_TEST_PIDS`` notes which process ran each batch
(a test kills one), ``SF_TEST_DELAY`` slows each batch down so a kill lands mid-run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from streamflow import FileStorage, Pipeline, Refiner
from streamflow.operators.general_text import (
    LowercaseRefiner,
    RemoveExtraSpacesRefiner,
    WordNumberFilter,
)
from streamflow.rows import Failure, Row


class Pace(Refiner):
    """Rewrites nothing; notes its process id per batch and waits ``delay`` seconds."""

    def __init__(self, pids_file: str | None = None, delay: float = 0.0) -> None:
        self.pids_file = pids_file
        self.delay = delay

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        if self.pids_file:
            with open(self.pids_file, "a") as f:
                f.write(f"{os.getpid()}\n")
        time.sleep(self.delay)
        return rows


class NoSevens(Refiner):
    """Fails the rows whose text holds a 77 (dead letters from a step), tags the others; in a
    process with ``SF_TEST_HEALED=1`` (a driver retrying requeued rows) it fails none."""

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row | Failure]:
        healed = os.environ.get("SF_TEST_HEALED") == "1"
        return [
            Failure(f"two sevens in {row[input_key]!r}")
            if "77" in row[input_key] and not healed
            else {**row, "tag": len(row[input_key])}
            for row in rows
        ]


class ShardTestPipeline(Pipeline):
    """Defaults from the environment (``SF_TEST_PIDS``, ``SF_TEST_DELAY``), for a driver started
    by ``streamflow run``."""

    def __init__(
        self,
        entry_file: str | Path = "in.jsonl",
        output_file: str | Path | None = None,
        *,
        pids_file: str | None = None,
        delay: float | None = None,
    ) -> None:
        pids_file = pids_file or os.environ.get("SF_TEST_PIDS")
        if delay is None:
            delay = float(os.environ.get("SF_TEST_DELAY", "0"))
        self.storage = FileStorage(entry_file, output_file=output_file, on_bad_record="skip")
        self.pace = Pace(pids_file, delay)
        self.lower = LowercaseRefiner()
        self.spaces = RemoveExtraSpacesRefiner()
        self.words = WordNumberFilter(min_words=3)
        self.sevens = NoSevens()

    def forward(self) -> None:
        self.pace.run(self.storage.step(), input_key="text")
        self.lower.run(self.storage.step(), input_key="text")
        self.spaces.run(self.storage.step(), input_key="text")
        self.words.run(self.storage.step(), input_key="text")
        self.sevens.run(self.storage.step(), input_key="text")


def lines(start: int, stop: int, file: int) -> list[bytes]:
    """Input lines ``start``..``stop`` of file ``file``: some too short (dropped), some with a
    7 (failed), every length different, non-ASCII text included."""
    out = []
    for i in range(start, stop):
        if i % 11 == 5:
            text = f"short {i}"
        else:
            text = f"The  Row {i} of File {file} tells of Éléments {'x' * (i % 13)}  here"
        out.append(f'{{"text": "{text}", "i": {i}}}\n'.encode())
    return out
