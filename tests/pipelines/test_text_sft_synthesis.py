"""text_sft_synthesis: from nothing to judged instruction data, scripted and on the real engine."""

from __future__ import annotations

import pytest
from helpers import read_jsonl
from scripted_models import CondorScripted, judge_score

from streamflow.pipelines.text_sft_synthesis import TextSFTSynthesisPipeline


def test_generates_refines_and_judges_from_nothing(tmp_path):
    serving = CondorScripted()
    pipeline = TextSFTSynthesisPipeline(serving, num_samples=24)
    out = tmp_path / "sft.jsonl"
    result = pipeline.run(output=out, run_dir=tmp_path / "run", batch_size=3)
    rows = read_jsonl(out)
    assert result.dead_letters.count == 0
    judged = [m for m, _ in serving.requests if str(m[-1]["content"]).startswith("Rate the")]
    assert len(judged) == 24
    kept_scores = sorted(
        judge_score(str(m[0]["content"])) for m in judged if judge_score(str(m[0]["content"])) >= 3
    )
    assert sorted(r["AlpagasusScore"] for r in rows) == kept_scores
    assert 0 < len(rows) < 24
    assert all(r["output"] == f"A better answer to {r['instruction']}" for r in rows)
    assert {r["difficulty"] for r in rows} <= {"Easy", "Medium", "Hard"}
    assert result.stats.operators[0].rows_in == 8  # 24 samples: 8 seeds


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_end_to_end_on_the_real_engine(tmp_path, vllm_serving):
    pipeline = TextSFTSynthesisPipeline(vllm_serving, num_samples=6, max_tokens=384, min_score=0)
    out = tmp_path / "sft.jsonl"
    result = await pipeline.arun(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    failed = result.dead_letters.records()
    generator = result.stats.operators[0]
    assert generator.rows_in == 2 and generator.requests >= 2
    # guided decoding: every question set and every judgement parsed; nothing failed on JSON
    assert not [
        f for f in failed if "JSON" in f.error or "schema" in f.error or "cut off" in f.error
    ]
    assert len(rows) + len(failed) == 6 and rows
    for row in rows:
        assert row["instruction"].strip() and row["output"].strip()
        assert row["difficulty"] in ("Easy", "Medium", "Hard")
        assert 0 <= row["AlpagasusScore"] <= 5
