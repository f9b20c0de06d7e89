"""A timed-out trial on the real embedded engine: its generations are aborted, not left queued."""

from __future__ import annotations

import shutil

import pytest

from streamflow.agent.verify import trial_run

COUNTING = """
from streamflow.operators.core_text import PromptedGenerator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import SamplingParams
from streamflow.serving.choose import serving_from_environment
from streamflow.storage import FileStorage


class AgentPipeline(Pipeline):
    def __init__(self):
        self.storage = FileStorage("input.jsonl")
        serving = serving_from_environment(SamplingParams(max_tokens=1024))
        self.count = PromptedGenerator(
            llm_serving=serving, user_prompt="Count from 1 to 2000, one number per line: "
        )

    def forward(self):
        self.count.run(self.storage.step(), input_key="text", output_key="numbers")
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")
@pytest.mark.asyncio(loop_scope="session")
async def test_a_timed_out_trial_leaves_the_engine_with_no_unfinished_request(vllm_serving):
    sample = [{"text": f"start at {i}"} for i in range(16)]
    trial = await trial_run(COUNTING, sample, vllm_serving, rows=16, timeout=30)
    assert trial.stage == "sandbox" and trial.compiled, trial.error
    assert trial.cancelled_requests >= 1, trial  # it was stopped with generations under way
    assert vllm_serving.engine.get_num_unfinished_requests() == 0
    assert vllm_serving.in_flight == 0
    # the engine is free at once: a new question is answered
    completion = await vllm_serving.complete("Say hi.")
    assert completion.usage.completion_tokens > 0
