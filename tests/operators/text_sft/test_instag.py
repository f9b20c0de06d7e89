"""Instag: tag counting, and real generation on a tiny LLaMA (InsTagger's architecture)."""

from __future__ import annotations

import pytest

from streamflow.operators.text_sft.instag import (
    InstagFilter,
    InstagSampleEvaluator,
    count_tags,
    instag_prompt,
)
from streamflow.testing import apply


def test_tag_counts_from_the_taggers_answers():
    two = (
        '[{"tag": "cooking", "explanation": "asks for a recipe"}, '
        '{"tag": "diet", "explanation": "vegan"}]'
    )
    assert count_tags(two) == 2
    assert count_tags(' {"tag": "greeting", "explanation": "says hi"} ') == 1
    assert count_tags("[]") == 0
    assert "not JSON" in str(count_tags("cooking, diet"))
    assert "not a list of tags" in str(count_tags('{"tags": ["a"]}'))
    assert "not a list of tags" in str(count_tags('["cooking"]'))


def test_prompt_is_the_one_dataflow_sends():
    prompt = instag_prompt("How do I bake bread?")
    assert prompt.startswith("system: A chat between a curious user")
    assert prompt.endswith(
        '{"tag": str, "explanation": str}.\nUser query: How do I bake bread? Assistant:'
    )


def test_generation_runs_batched_and_unusable_answers_fail_with_the_answer(tiny_llama_dir):
    pytest.importorskip("torch")
    op = InstagSampleEvaluator(
        model_name_or_path=str(tiny_llama_dir), max_new_tokens=6, batch_size=2
    )
    rows = [{"instruction": q} for q in ("Bake bread.", "How do plants grow in the dark?", "Hi")]
    out = apply(op, rows)
    # random weights answer gibberish: every row fails, saying what the tagger wrote
    assert len(out.failed) == 3 and out.batch.rows == []
    assert all(reason.startswith("tagger answer is not") for _, _, reason in out.failed)
    answers = [reason.split(": ", 1)[1] for _, _, reason in out.failed]
    assert all(len(a) > 2 for a in answers)
    again = apply(op, rows)  # greedy: the same answers again
    assert [r for _, _, r in again.failed] == [r for _, _, r in out.failed]


def test_filter_range_and_generation_parameters():
    op = InstagFilter()
    assert (op.min_score, op.max_score, op.max_new_tokens) == (0.0, 1.0, 1024)
    assert op.model_name_or_path == "OFA-Sys/InsTagger"
    with pytest.raises(ValueError, match="num_return_sequences"):
        InstagSampleEvaluator(num_return_sequences=2)
