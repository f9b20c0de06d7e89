"""The reward-model scorer on a tiny DeBERTa-v2 classifier (the published model's architecture)."""

from __future__ import annotations

import pytest

from streamflow.operators.text_sft.reward_model import RMFilter, RMSampleEvaluator
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ROWS = [
    {"instruction": "what is water", "output": "a liquid"},
    {"instruction": "how do plants grow", "output": "they need light and soil"},
    {"instruction": "tell me a joke about cats", "output": "why sky blue"},
    {"instruction": "cook rice", "output": "boil it"},
    {"instruction": "write a poem about the sun and the sea", "output": "sun sea sun sea good"},
]


def test_rewards_equal_the_classifier_logit_one_pair_at_a_time(tiny_reward_dir):
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_reward_dir)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(tiny_reward_dir).eval()
    want = []
    for row in ROWS:
        enc = tokenizer(row["instruction"], row["output"], return_tensors="pt")
        with torch.inference_mode():
            want.append(model(**enc).logits[0, 0].item())
    op = RMSampleEvaluator(model_name_or_path=str(tiny_reward_dir), batch_size=2)
    out = apply(op, ROWS)
    got = [r["RMScore"] for r in out.batch.rows]
    assert got == pytest.approx(want, abs=1e-4)
    assert len({round(s, 3) for s in got}) == len(ROWS)


def test_filter_keeps_the_reward_range(tiny_reward_dir):
    scores = [
        r["RMScore"]
        for r in apply(RMSampleEvaluator(model_name_or_path=str(tiny_reward_dir)), ROWS).batch.rows
    ]
    ordered = sorted(scores)
    op = RMFilter(
        ordered[0] - 1, (ordered[2] + ordered[3]) / 2, model_name_or_path=str(tiny_reward_dir)
    )
    out = apply(op, ROWS, output_key="reward")
    assert len(out.batch.rows) == 3
    assert all("reward" in r for r in out.batch.rows)
    assert all(d.reason.startswith("reward ") for d in out.dropped)


def test_default_model_and_missing_response():
    assert (
        RMSampleEvaluator().model_name_or_path == "OpenAssistant/reward-model-deberta-v3-large-v2"
    )
    out = apply(RMSampleEvaluator(model_name_or_path="/nonexistent"), [{"instruction": "x"}])
    assert out.failed[0][2] == "empty or missing field 'output'"
