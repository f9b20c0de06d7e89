"""The README's demo, web_summary, on the real embedded engine (SmolLM2 via vLLM)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import read_jsonl

from streamflow.pipelines.web_summary import WebSummaryPipeline


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_every_kept_page_gets_a_summary_from_the_real_engine(tmp_path, vllm_serving):
    out = tmp_path / "summaries.jsonl"
    result = await WebSummaryPipeline(vllm_serving).arun(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    assert len(rows) == 9 and result.dead_letters.count == 0
    assert all(r["summary"].strip() and r["summary"] != r["text"] for r in rows)
    summarize = result.stats.operators[-1]
    assert summarize.name == "PromptedGenerator"
    assert summarize.requests == len(rows) and summarize.completion_tokens > 0
    assert summarize.truncated <= len(rows)  # cut-off summaries are kept, and counted
    soup = next(r for r in rows if Path(r["path"]).stem == "recipe_red_lentil_soup")
    assert any(w in soup["summary"].lower() for w in ("soup", "lentil", "recipe"))
