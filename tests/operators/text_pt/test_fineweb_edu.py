"""FineWeb-Edu scorer on a tiny one-output BERT classifier (the published model's shape)."""

from __future__ import annotations

import shutil

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.general_text import WordNumberFilter
from streamflow.operators.text_pt import FineWebEduFilter, FineWebEduSampleEvaluator
from streamflow.testing import apply

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = [
    "what is water a liquid",
    "how do plants grow they need light and soil",
    "tell me a joke about cats",
    "the history of rome explain the moon and the sun and the sea",
    "why is the sky blue",
]
ROWS = [{"raw_content": t} for t in TEXTS]


def reference(model_dir, texts):
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        return [model(**tokenizer(t, return_tensors="pt")).logits[0, 0].item() for t in texts]


def test_scores_are_the_logit_and_the_same_batched_or_alone(tiny_bert_classifier_dir):
    want = reference(tiny_bert_classifier_dir, TEXTS)
    for batch_size in (1, 3):
        op = FineWebEduSampleEvaluator(
            model_name_or_path=str(tiny_bert_classifier_dir), batch_size=batch_size
        )
        got = [r["FinewebEduScore"] for r in apply(op, ROWS).batch.rows]
        assert got == pytest.approx(want, abs=1e-4)
    assert len({round(s, 4) for s in want}) >= 3  # the scores tell the texts apart


def test_filter_keeps_the_range_and_fails_empty_text(tiny_bert_classifier_dir):
    scores = sorted(reference(tiny_bert_classifier_dir, TEXTS))
    op = FineWebEduFilter(
        min_score=scores[2], model_name_or_path=str(tiny_bert_classifier_dir), batch_size=2
    )
    out = apply(op, [{"raw_content": t} for t in [*TEXTS, "  "]])
    assert len(out.batch.rows) == 3
    assert all(r["FinewebEduScore"] >= scores[2] for r in out.batch.rows)
    assert len(out.dropped) == 2 and all("outside" in d.reason for d in out.dropped)
    assert out.failed[0][2] == "empty or missing field 'raw_content'"


def test_default_model_and_unloadable_model():
    assert FineWebEduFilter().model_name_or_path == "HuggingFaceTB/fineweb-edu-classifier"
    out = apply(FineWebEduSampleEvaluator(model_name_or_path="/nonexistent/model"), ROWS[:2])
    assert len(out.failed) == 2 and "cannot load model '/nonexistent/model'" in out.failed[0][2]


def test_scores_are_replayed_on_resume(chain, tmp_path, tiny_bert_classifier_dir):
    """The scorer is expensive: a resumed run with a changed later step reads its stored scores
    (the model directory is gone by then, so recomputing would fail every row)."""
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_bert_classifier_dir, model_dir)
    src = write_jsonl(tmp_path / "in.jsonl", [{"raw_content": t} for t in TEXTS])
    out = tmp_path / "out.jsonl"

    def pipeline(min_words: int):
        steps = [
            (FineWebEduSampleEvaluator(model_name_or_path=str(model_dir)), {}),
            (WordNumberFilter(min_words=min_words), {"input_key": "raw_content"}),
        ]
        return chain(steps, entry_file=src, output_file=out, run_dir=tmp_path / "run")

    pipeline(1).run(batch_size=2)
    first = {r["raw_content"]: r["FinewebEduScore"] for r in read_jsonl(out)}
    assert len(first) == 5
    shutil.rmtree(model_dir)
    pipeline(7).run(batch_size=2, resume=True)
    second = read_jsonl(out)
    assert {r["raw_content"] for r in second} == {TEXTS[1], TEXTS[3]}
    assert all(r["FinewebEduScore"] == first[r["raw_content"]] for r in second)
