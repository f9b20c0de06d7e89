"""QuRating on a tiny four-output LLaMA sequence classifier, chunked as QuRating does."""

from __future__ import annotations

import pytest

from streamflow.operators.text_pt import QuratingFilter, QuratingSampleEvaluator
from streamflow.operators.text_pt.qurating import DEFAULT_LABELS, score_key
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = [
    "Water is a liquid. " * 6,
    "Plants need light and soil to grow.",
    "The history of Rome spans many centuries of war, law and building. " * 3,
]


def reference(model_dir, text, chunk):
    """Token-weighted average of each chunk's logits, chunks scored one at a time."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    total, count = torch.zeros(4), 0
    with torch.inference_mode():
        for start in range(0, len(ids), chunk):
            part = torch.tensor([ids[start : start + chunk]])
            total += model(input_ids=part).logits[0].float() * part.shape[1]
            count += part.shape[1]
    return [float(v) for v in total / count]


def test_chunked_weighted_scores_match_one_chunk_at_a_time(tiny_qurater_dir):
    op = QuratingSampleEvaluator(
        device_batch_size=3, model_name_or_path=str(tiny_qurater_dir), chunk_tokens=16
    )
    out = apply(op, [{"text": t} for t in TEXTS], input_key="text")
    assert [score_key(label) for label in DEFAULT_LABELS] == [
        "QuratingWritingStyleScore",
        "QuratingRequiredExpertiseScore",
        "QuratingFactsAndTriviaScore",
        "QuratingEducationalValueScore",
    ]
    for row, text in zip(out.batch.rows, TEXTS, strict=True):
        want = reference(tiny_qurater_dir, text, 16)
        got = [row[score_key(label)] for label in DEFAULT_LABELS]
        assert got == pytest.approx(want, abs=1e-4)


def test_filter_bounds_per_label_and_label_count_mismatch(tiny_qurater_dir):
    path = str(tiny_qurater_dir)
    scores = apply(
        QuratingSampleEvaluator(model_name_or_path=path), [{"raw_content": t} for t in TEXTS]
    ).batch.rows
    style = sorted(r["QuratingWritingStyleScore"] for r in scores)
    op = QuratingFilter(
        min_scores={"writing_style": (style[0] + style[1]) / 2},
        max_scores={"writing_style": 1e9},
        model_name_or_path=path,
    )
    out = apply(op, [{"raw_content": t} for t in TEXTS])
    assert len(out.batch.rows) == 2
    assert all(r["writing_style_label"] == 1 for r in out.batch.rows)
    assert "writing_style" in out.dropped[0].reason
    two_labels = QuratingSampleEvaluator(labels=["a", "b"], model_name_or_path=path)
    failed = apply(two_labels, [{"raw_content": "x y"}]).failed
    assert "rates 4 qualities but 2 labels" in failed[0][2]
    with pytest.raises(ValueError, match="no such label"):
        QuratingFilter(min_scores={"humour": 0}, max_scores={"humour": 1})
