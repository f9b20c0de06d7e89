"""Perplexity under a tiny LLaMA built with SmolLM2's tokenizer."""

from __future__ import annotations

import math

import pytest

from streamflow.operators.text_pt import PerplexityFilter, PerplexitySampleEvaluator
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = [
    "Water is a liquid at room temperature.",
    "Plants need light and soil to grow well in a garden.",
    "cats cats cats cats cats cats",
    "Rome was not built in a day, they say.",
]


def reference(model_dir, text):
    """DataFlow's formula: exp of the model's own loss with labels = input ids."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir).eval()
    enc = tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        return math.exp(model(**enc, labels=enc["input_ids"]).loss.item())


def test_perplexity_is_the_models_and_the_same_batched_or_alone(tiny_llama_dir):
    want = [reference(tiny_llama_dir, t) for t in TEXTS]
    rows = [{"raw_content": t} for t in TEXTS]
    for batch_size in (1, 4):
        op = PerplexitySampleEvaluator(str(tiny_llama_dir), batch_size=batch_size)
        got = [r["PerplexityScore"] for r in apply(op, rows).batch.rows]
        assert got == pytest.approx(want, rel=1e-4)


def test_filter_range_and_a_text_with_nothing_to_predict(tiny_llama_dir):
    want = sorted(reference(tiny_llama_dir, t) for t in TEXTS)
    ceiling = (want[2] + want[3]) / 2
    op = PerplexityFilter(min_score=0, max_score=ceiling, model_name=str(tiny_llama_dir))
    out = apply(op, [{"raw_content": t} for t in [*TEXTS, "a"]])
    assert len(out.batch.rows) == 3
    assert len(out.dropped) == 1
    assert out.failed[0][2] == "the text has fewer than two tokens: nothing to predict"
    with pytest.raises(ValueError, match="above max_score"):
        PerplexityFilter(min_score=5, max_score=1)
