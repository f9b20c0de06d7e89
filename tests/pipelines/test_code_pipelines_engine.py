"""code_code_to_sft_data end to end on the real embedded engine (SmolLM2) and the real sandbox.

A 135M model writes poor code, so this asserts what must hold whatever it writes: requests reach
the engine at every LLM step, every row is accounted for (a result, a drop with its reason or a
dead letter), and every row that reaches the end carries a sandbox verdict from a real run.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.pipelines.code_code_to_sft_data import SAMPLES, CodeSFTSynthesisPipeline

pytestmark = [
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]


async def test_code_to_sft_data_on_the_engine(tmp_path: Path, vllm_serving, monkeypatch) -> None:
    # the session engine answers at most 64 tokens; code needs more (a cut-off answer would
    # fail its row, as it should)
    monkeypatch.setattr(vllm_serving, "params", replace(vllm_serving.params, max_tokens=384))
    seeds = read_jsonl(SAMPLES / "code_synthesis_input.jsonl")[:3]
    source = tmp_path / "seeds.jsonl"
    write_jsonl(source, seeds)
    result = await CodeSFTSynthesisPipeline(vllm_serving, timeout_length=10).arun(
        input=source, output=tmp_path / "sft.jsonl", run_dir=tmp_path / "run"
    )
    stats = {s.name: s for s in result.stats.operators}
    assert stats["CodeCodeToInstructionGenerator"].rows_in == 3
    for name in (  # a step may fail a row (a dead letter with its reason); none is skipped
        "CodeCodeToInstructionGenerator",
        "CodeInstructionToCodeGenerator",
        "CodeQualitySampleEvaluator",
    ):
        assert stats[name].rows_in >= 1 and stats[name].requests >= 1, name
    for s in result.stats.operators:
        if s.name not in ("source", "sink") and s.rows_in:
            assert s.rows_in == s.rows_out + s.dropped + s.failed, s.name
    # the review answers under its JSON schema, so even a 135M model's scores are read
    assert stats["CodeQualitySampleEvaluator"].rows_out >= 1
    rows = read_jsonl(tmp_path / "sft.jsonl")
    assert stats["CodeSandboxSampleEvaluator"].rows_out == len(rows)
    for row in rows:
        assert row["sandbox_status"] in ("PASS", "FAIL") and isinstance(row["sandbox_log"], str)
        assert 1 <= row["quality_score"] <= 10
