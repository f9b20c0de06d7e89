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


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")
@pytest.mark.asyncio(loop_scope="session")
async def test_smollm2s_written_classes_are_checked_and_tried_only_in_the_sandbox(
    vllm_serving, cards, bm25_retriever
):
    # the synthesis path on the real engine: a long code answer under the JSON schema, then the
    # static checks and the sandboxed trial; whatever a 135M model writes, it is either a class
    # that passed on the sample or a reason it was not kept
    from streamflow.agent.plan import Step, field_types

    agent = PipelineAgent(
        vllm_serving,
        AgentOptions(retrieval="bm25", synthesis_attempts=2, synthesis_timeout=60),
        cards=cards,
        retriever=bm25_retriever,
    )
    agent.cards = dict(cards)
    sample = [{"text": "Call 555 0199 today"}, {"text": "Open 9 to 17"}]
    step = Step("count the digits in each text", "NONE")
    state = {"request": "Count the digits in each text.", "sample": sample}
    state["fields"] = field_types(sample)
    notes: list[str] = []
    calls = agent.asker.cost.calls
    written = await agent._synthesise(
        state, [step], 0, "Count the digits of the text.", "digit_count", notes
    )
    print("\n".join(notes))  # what the small model's classes came to (run with -s to see)
    assert agent.asker.cost.calls > calls and agent.asker.cost.completion_tokens > 0
    if written is None:
        assert notes, "a class that was not kept must say why"
    else:
        assert written.synthesised is not None and written.operator in agent.cards
        assert any("passed on the sample in the sandbox" in n for n in notes)
