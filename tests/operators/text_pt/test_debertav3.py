"""The DeBERTa-v3 quality classifier, loaded from a hub-mixin layout built on a tiny DeBERTa."""

from __future__ import annotations

import json

import pytest

from streamflow.operators.text_pt import DebertaV3Filter, DebertaV3SampleEvaluator
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = [
    "what is water a liquid",
    "how do plants grow they need light and soil",
    "tell me a joke about cats",
    "the history of rome",
    "why is the sky blue",
    "boil rice",
    "good bad good bad list three facts",
    "write a poem about the moon",
]
ROWS = [{"text": t} for t in TEXTS]


def reference_labels(quality_dir, encoder_dir):
    """The mixin model's computation, by hand: softmax(fc(backbone(x))[:, 0]).argmax."""
    import safetensors.torch

    weights = safetensors.torch.load_file(str(quality_dir / "model.safetensors"))
    backbone = transformers.AutoModel.from_pretrained(encoder_dir).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(quality_dir)
    id2label = json.loads((quality_dir / "config.json").read_text())["id2label"]
    out = []
    with torch.inference_mode():
        for text in TEXTS:
            hidden = backbone(**tokenizer(text, return_tensors="pt")).last_hidden_state[:, 0]
            logits = hidden @ weights["fc.weight"].T + weights["fc.bias"]
            out.append(id2label[str(int(logits.argmax()))])
    return out


def test_labels_match_the_mixin_model_batched(tiny_quality_dir, tiny_encoder_dir):
    want = reference_labels(tiny_quality_dir, tiny_encoder_dir)
    op = DebertaV3SampleEvaluator(str(tiny_quality_dir), batch_size=3)
    got = [r["Debertav3Score"] for r in apply(op, ROWS, input_key="text").batch.rows]
    assert got == want
    assert set(got) <= {"High", "Medium", "Low"}


def test_filter_keeps_allowed_labels(tiny_quality_dir, tiny_encoder_dir):
    want = reference_labels(tiny_quality_dir, tiny_encoder_dir)
    allowed = [want[0]]
    op = DebertaV3Filter(allowed_scores=allowed, model_name=str(tiny_quality_dir))
    out = apply(op, ROWS, input_key="text", output_key="quality")
    assert [r["text"] for r in out.batch.rows] == [
        t for t, w in zip(TEXTS, want, strict=True) if w in allowed
    ]
    assert all(r["quality"] == want[0] for r in out.batch.rows)
    assert all("not allowed" in d.reason for d in out.dropped)


def test_a_plain_transformers_classifier_is_accepted(tiny_reward_dir):
    model = transformers.AutoModelForSequenceClassification.from_pretrained(tiny_reward_dir)
    assert model.config.id2label == {0: "LABEL_0"}
    out = apply(DebertaV3SampleEvaluator(str(tiny_reward_dir)), ROWS[:2], input_key="text")
    assert [r["Debertav3Score"] for r in out.batch.rows] == ["LABEL_0", "LABEL_0"]


def test_a_checkpoint_of_another_shape_fails_every_row(tmp_path, tiny_quality_dir):
    import shutil

    import safetensors.torch

    broken = tmp_path / "broken"
    shutil.copytree(tiny_quality_dir, broken)
    weights = safetensors.torch.load_file(str(broken / "model.safetensors"))
    del weights["fc.bias"]
    safetensors.torch.save_file(weights, str(broken / "model.safetensors"))
    out = apply(DebertaV3SampleEvaluator(str(broken)), ROWS[:2], input_key="text")
    assert len(out.failed) == 2 and "fc.bias" in out.failed[0][2]
