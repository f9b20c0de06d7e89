"""The pipeline the Ray executor's tests run: refiners, a filter, MinHash dedup, a dataset
evaluator and an LLM step answered by ScriptedServing.

It is a pipeline file (``streamflow run tests/executors/ray/ray_pipeline.py``) so the driver
can run in its own process and be killed. The LLM's calls are counted in a file (calls happen
in worker processes), and the first stage notes its worker's process id per batch, so a test
knows which process to kill.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from streamflow import FileStorage, Pipeline, Refiner
from streamflow.operators.core_text import PromptedGenerator
from streamflow.operators.general_text import (
    LowercaseRefiner,
    MinHashDeduplicateFilter,
    RemoveExtraSpacesRefiner,
    WordNumberFilter,
)
from streamflow.operators.reasoning import ReasoningDifficultyDatasetEvaluator
from streamflow.rows import Row
from streamflow.testing import ScriptedServing


class Answer:
    """The scripted model: notes each call (process id and prompt) in ``calls_file``, waits
    ``delay`` seconds, and answers with a function of the prompt."""

    def __init__(self, calls_file: str | None, delay: float) -> None:
        self.calls_file = calls_file
        self.delay = delay

    def __call__(self, prompt: str) -> str:
        if self.calls_file:
            with open(self.calls_file, "a") as f:
                f.write(f"{os.getpid()} {' '.join(prompt.split())}\n")
        time.sleep(self.delay)
        return f"summary of {len(prompt.split())} words: {prompt.split()[-1]}"


class RecordPid(Refiner):
    """Rewrites nothing; notes which process ran each batch in ``pids_file`` (kill tests)."""

    def __init__(self, pids_file: str | None = None) -> None:
        self.pids_file = pids_file

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        if self.pids_file:
            with open(self.pids_file, "a") as f:
                f.write(f"{os.getpid()}\n")
        return rows


class RayTestPipeline(Pipeline):
    """Defaults from the environment (``SF_TEST_CALLS``, ``SF_TEST_PIDS``, ``SF_TEST_DELAY``),
    for a driver started by ``streamflow run``."""

    def __init__(
        self,
        entry_file: str | Path = "in.jsonl",
        output_file: str | Path | None = None,
        *,
        calls_file: str | None = None,
        pids_file: str | None = None,
        delay: float | None = None,
    ) -> None:
        calls_file = calls_file or os.environ.get("SF_TEST_CALLS")
        pids_file = pids_file or os.environ.get("SF_TEST_PIDS")
        if delay is None:
            delay = float(os.environ.get("SF_TEST_DELAY", "0"))
        self.storage = FileStorage(entry_file, output_file=output_file)
        self.pid = RecordPid(pids_file)
        self.lower = LowercaseRefiner()
        self.spaces = RemoveExtraSpacesRefiner()
        self.words = WordNumberFilter(min_words=3)
        self.dedup = MinHashDeduplicateFilter(shingle_size=2, threshold=0.7)
        self.difficulty = ReasoningDifficultyDatasetEvaluator()
        self.serving = ScriptedServing(Answer(calls_file, delay), max_in_flight=16)
        self.summary = PromptedGenerator(llm_serving=self.serving, user_prompt="Summarise: ")

    def forward(self) -> None:
        self.pid.run(self.storage.step(), input_key="text")
        self.lower.run(self.storage.step(), input_key="text")
        self.spaces.run(self.storage.step(), input_key="text")
        self.words.run(self.storage.step(), input_key="text")
        self.dedup.run(self.storage.step(), input_key="text")
        self.difficulty.run(self.storage.step(), input_diffulty_key="difficulty")
        self.summary.run(self.storage.step(), input_key="text", output_key="summary")


def rows(n: int) -> list[Row]:
    """``n`` input rows: some too short, some near-duplicates of earlier ones."""
    out = []
    for i in range(n):
        if i % 11 == 5:
            text = f"short {i}"
        elif i % 7 == 3 and i > 7:
            base = i - 7  # a near-duplicate of an earlier row: one word more
            text = f"The  Row {base} tells of item {base} and its many   uses in the field too"
        else:
            text = f"The  Row {i} tells of item {i} and its many   uses in the field"
        out.append({"text": text, "difficulty": i % 3})
    return out
