"""The trial run: compile and run in the sandbox, the LLM reached only through the relay."""

from __future__ import annotations

import shutil

import pytest

from streamflow.agent.verify import Trial, check_output, trial_run
from streamflow.testing import ScriptedServing

pytestmark = [
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]

GOOD = """
from streamflow.operators.core_text import PromptedGenerator
from streamflow.operators.general_text import RemoveExtraSpacesRefiner
from streamflow.pipeline import Pipeline
from streamflow.serving.base import SamplingParams
from streamflow.serving.choose import serving_from_environment
from streamflow.storage import FileStorage


class AgentPipeline(Pipeline):
    def __init__(self):
        self.storage = FileStorage("input.jsonl")
        serving = serving_from_environment(SamplingParams(max_tokens=32))
        self.spaces = RemoveExtraSpacesRefiner()
        self.summary = PromptedGenerator(llm_serving=serving, user_prompt="Summarise: ")

    def forward(self):
        self.spaces.run(self.storage.step(), input_key="text")
        self.summary.run(self.storage.step(), input_key="text", output_key="summary")
"""
SAMPLE = [{"text": "a   b"}, {"text": "c  d"}, {"text": "never seen"}]


async def test_a_pipeline_runs_on_the_first_rows_and_its_llm_calls_go_through_the_relay():
    serving = ScriptedServing(lambda prompt: f"SUMMARY of {prompt}")
    trial = await trial_run(GOOD, SAMPLE, serving, rows=2, timeout=120)
    assert trial.stage == "done", trial.error
    assert [r["text"] for r in trial.rows] == ["a b", "c d"]
    assert [r["summary"] for r in trial.rows] == [
        "SUMMARY of Summarise: a b",
        "SUMMARY of Summarise: c d",
    ]
    assert sorted(serving.prompts) == ["Summarise: a b", "Summarise: c d"]  # any order
    assert check_output(trial, ["summary"], SAMPLE) == []


async def test_a_compile_error_is_reported_as_such():
    broken = GOOD.replace('input_key="text", output_key', 'input_key="body", output_key')
    trial = await trial_run(broken, SAMPLE, ScriptedServing(), rows=2, timeout=120)
    assert trial.stage == "compile"
    assert "body" in trial.error
    assert not trial.compiled


async def test_generated_code_cannot_reach_the_host(tmp_path):
    marker = tmp_path / "pwned"
    hostile = (
        f"""
import os, socket
try:
    open({str(marker)!r}, "w").write("x")
except OSError:
    pass
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    print("NETWORK")
except OSError:
    pass
"""
        + GOOD
    )
    trial = await trial_run(hostile, SAMPLE, ScriptedServing(lambda p: "ok"), rows=1, timeout=120)
    assert trial.stage == "done", trial.error
    assert not marker.exists()


async def test_the_time_limit_stops_a_pipeline_that_hangs():
    hanging = "import time\ntime.sleep(60)\n" + GOOD
    trial = await trial_run(hanging, SAMPLE, ScriptedServing(), rows=1, timeout=3)
    assert trial.stage == "sandbox"
    assert "wall" in trial.error or "time" in trial.error
    assert trial.seconds < 30
    assert not trial.compiled  # it hung on import, before compile()


async def test_a_run_stopped_by_the_time_limit_still_counts_as_compiled():
    # the model answers slowly: the run passes compile() and is stopped while it waits
    trial = await trial_run(GOOD, SAMPLE, ScriptedServing(delay=60), rows=1, timeout=8)
    assert trial.stage == "sandbox" and trial.compiled


def test_output_checks_name_what_failed():
    trial = Trial(
        "done",
        rows=[{"text": "a", "summary": ""}],
        rows_out=1,
        stats={
            "steps": [
                {"name": "source", "rows_in": 0, "rows_out": 3},
                {"name": "WordNumberFilter", "rows_in": 3, "rows_out": 0, "failed": 0},
                {"name": "sink", "rows_in": 0, "rows_out": 0},
            ]
        },
    )
    problems = check_output(trial, ["answer"], [{"text": "a"}])
    assert any("answer" in p for p in problems)
    assert any("WordNumberFilter passed none of its 3 rows" in p for p in problems)
    assert any("summary" in p and "empty" in p for p in problems)
    assert check_output(Trial("compile", error="boom"), []) == [
        "the trial stopped at compile: boom"
    ]


class PendingCounter(ScriptedServing):
    """A slow scripted model that counts its requests still queued or in flight."""

    def __init__(self, **kwargs):
        super().__init__(lambda prompt: "late", **kwargs)
        self.pending = 0
        self.cancelled = 0

    async def complete(self, prompt, **kwargs):
        self.pending += 1
        try:
            return await super().complete(prompt, **kwargs)
        except BaseException:
            self.cancelled += 1
            raise
        finally:
            self.pending -= 1


async def test_a_timed_out_trial_leaves_no_llm_request_queued_or_running():
    # one request generating, two waiting for a place: all three abandoned by the time limit
    serving = PendingCounter(delay=600, max_in_flight=1)
    trial = await trial_run(GOOD, SAMPLE, serving, rows=3, timeout=10)
    assert trial.stage == "sandbox" and trial.compiled
    assert len(serving.requests) >= 1  # the trial did reach the model
    assert serving.pending == 0
    assert serving.in_flight == 0 and serving._admission.held == 0
    assert serving.cancelled >= 1
    assert trial.cancelled_requests == serving.cancelled
    assert "cancelled" in trial.error
