"""text_conversation_synthesis: ConsistentChat dialogues from nothing."""

from __future__ import annotations

import pytest
from helpers import read_jsonl
from scripted_models import chat_model

from streamflow.operators.conversations.intents import INFORMATION_FLOWS
from streamflow.pipelines.text_conversation_synthesis import TextConversationSynthesisPipeline
from streamflow.testing import ScriptedServing


def test_one_dialogue_per_seed_for_every_intent(tmp_path):
    pipeline = TextConversationSynthesisPipeline(
        ScriptedServing(chat_model), num_dialogs_per_intent=2
    )
    out = tmp_path / "chats.jsonl"
    pipeline.run(output=out)
    rows = read_jsonl(out)
    assert len(rows) == 2 * len(INFORMATION_FLOWS)
    for row in rows:
        assert [m["role"] for m in row["conversation"]] == ["user", "assistant"] * 4
        assert row["conversation"][0]["content"] == f"Question 1 on {row['category']}"


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_end_to_end_on_the_real_engine(tmp_path, vllm_serving):
    pipeline = TextConversationSynthesisPipeline(
        vllm_serving, num_dialogs_per_intent=1, num_turns_per_dialog=2, max_tokens=768
    )
    out = tmp_path / "chats.jsonl"
    result = await pipeline.arun(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    failed = result.dead_letters.records()
    assert not [
        f for f in failed if "JSON" in f.error or "schema" in f.error or "cut off" in f.error
    ]
    assert len(rows) + len(failed) == 9 and rows
    for row in rows:
        roles = [m["role"] for m in row["conversation"]]
        assert roles == ["user", "assistant", "user", "assistant"]
        assert all(
            isinstance(m["content"], str) and m["content"].strip() for m in row["conversation"]
        )
