"""The agent on the real embedded engine (SmolLM2-135M): it still reaches a compiled pipeline."""

from __future__ import annotations

import shutil

import pytest

from streamflow.agent import AgentOptions, PipelineAgent

TEXTS = [
    {"text": "Fresh bread every morning &amp; pastries on Sundays,   baked in our wood oven."},
    {"text": "The river path runs   eleven kilometres from the old mill to the harbour."},
]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")
@pytest.mark.asyncio(loop_scope="session")
async def test_smollm2_drives_the_agent_to_a_compiled_pipeline(vllm_serving, cards, bm25_retriever):
    agent = PipelineAgent(
        vllm_serving,
        AgentOptions(retrieval="bm25", max_rounds=1, trial_timeout=300),
        cards=cards,
        retriever=bm25_retriever,
    )
    report = await agent.run(
        "Turn HTML entities back into characters and collapse runs of spaces.", TEXTS
    )
    assert not report.refused, report.text()
    assert report.compiled, report.text()
    assert report.source is not None and "class AgentPipeline(Pipeline)" in report.source
    assert report.cost["calls"] >= 3
    assert report.cost["prompt_tokens"] > 0  # real usage from the engine
