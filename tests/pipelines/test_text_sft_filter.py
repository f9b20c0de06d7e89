"""text_sft_filter: word counts, then Superfiltering IFD on the embedded SmolLM2."""

from __future__ import annotations

import pytest
from helpers import read_jsonl

from streamflow.pipelines.text_sft_filter import SAMPLE, TextSFTFilterPipeline

pytest.importorskip("transformers")


def test_sample_pairs_are_filtered_by_length_then_ifd(tmp_path, smollm2_dir):
    out = tmp_path / "kept.jsonl"
    pipeline = TextSFTFilterPipeline(scorer_model=str(smollm2_dir))
    result = pipeline.run(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    sample = read_jsonl(SAMPLE / "sft_input.jsonl")
    long_enough = [r for r in sample if 20 <= len(r["output"].split()) < 1000]
    assert 0 < len(rows) < len(long_enough) < len(sample)
    assert all(0.5 <= r["SuperfilteringScore"] <= 1.0 for r in rows)
    reasons = [d.reason for d in result.dropped.records()]
    assert any("words < min 20" in r for r in reasons)
    assert any(r.startswith("SuperfilteringScore") for r in reasons)
    assert result.dead_letters.count == 0
    # the off-topic pair (an answer about football to a photosynthesis question) is not kept
    assert not any(r["instruction"] == "Tell me about photosynthesis." for r in rows)
