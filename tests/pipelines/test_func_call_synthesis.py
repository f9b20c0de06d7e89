"""func_call_synthesis: chats -> tasks -> functions -> validated tool-calling conversations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import read_jsonl
from scripted_models import button_model as answer

from streamflow.operators.structured import schema_errors
from streamflow.pipelines.func_call_synthesis import FuncCallSynthesisPipeline
from streamflow.testing import ScriptedServing


def tool_calls_valid(row: dict) -> bool:
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in row["functions"]}
    for message in row["conversations"]:
        for call in message.get("tool_calls") or []:
            name = call["function"]["name"]
            if name not in schemas or schema_errors(
                json.loads(call["function"]["arguments"]), schemas[name]
            ):
                return False
    return True


def test_every_sample_chat_becomes_a_scored_tool_conversation(tmp_path):
    out = tmp_path / "calls.jsonl"
    result = FuncCallSynthesisPipeline(ScriptedServing(answer)).run(
        output=out, run_dir=tmp_path / "run"
    )
    rows = read_jsonl(out)
    assert len(rows) == 10 and result.dead_letters.count == 0
    row = rows[0]
    assert row["scenario"] == "Booking a flight" and row["modified_scenario"] == "Renting a bicycle"
    assert row["runable_label"] == 1 and row["score"] == 4
    assert [m["role"] for m in row["conversations"]][:3] == ["user", "assistant", "tool"]
    assert all(tool_calls_valid(r) for r in rows)


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_end_to_end_on_the_real_engine(tmp_path, vllm_serving):
    src = tmp_path / "chats.jsonl"
    sample = (Path(FuncCallSynthesisPipeline().storage.entry_file)).read_text().splitlines()
    src.write_text("\n".join(sample[:3]) + "\n")
    # SmolLM2's context is 1024 tokens: one call a turn leaves room for the whole answer
    pipeline = FuncCallSynthesisPipeline(
        vllm_serving, max_tokens=512, max_turns=2, max_parallel_calls=1
    )
    out = tmp_path / "calls.jsonl"
    result = await pipeline.arun(input=src, output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    failed = result.dead_letters.records()
    dropped = result.dropped.count
    # under guided decoding no answer fails to parse or to fit its schema
    assert not [
        f for f in failed if "JSON" in f.error or "fit" in f.error or "cut off" in f.error
    ], failed
    assert len(rows) + len(failed) + dropped == 3
    for row in rows:
        assert tool_calls_valid(row)
        assert row["conversations"][0]["role"] == "user"
        assert (
            row["conversations"][-1]["role"] == "assistant" and row["conversations"][-1]["content"]
        )
        assert 1 <= row["score"] <= 5
