"""The textbook-quality scorer on a fastText classifier trained here with the published labels."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from streamflow.operators.text_pt import TextbookFilter, TextbookSampleEvaluator
from streamflow.operators.text_pt.textbook import LABEL_SCORES
from streamflow.testing import apply

fasttext = pytest.importorskip("fasttext")

HIGH = ["theorem", "proof", "equation", "derivative", "integral", "energy", "photosynthesis"]
LOW = ["lol", "click", "buy", "cheap", "deal", "omg", "subscribe"]
MID = ["story", "weekend", "travel", "recipe", "garden", "movie"]


@pytest.fixture(scope="module")
def textbook_model(tmp_path_factory):
    rng = random.Random(0)
    lines = []
    for label, words in (("High", HIGH), ("Low", LOW), ("Mid", MID)):
        for _ in range(200):
            lines.append(f"__label__{label} " + " ".join(rng.choices(words, k=8)))
    rng.shuffle(lines)
    root = tmp_path_factory.mktemp("textbook")
    (root / "train.txt").write_text("\n".join(lines))
    # Trained in a fresh interpreter: this fastText build's training hits NaN once torch is
    # imported in the same process (loading and predicting are unaffected). It also hits it now
    # and then in a fresh one (seen once in CI, not reproduced): a failed training is retried.
    script = (
        "import fasttext, sys; fasttext.train_supervised(sys.argv[1], epoch=25, lr=0.1, dim=16, "
        "thread=1, seed=0, verbose=0).save_model(sys.argv[2])"
    )
    train = [sys.executable, "-c", script, str(root / "train.txt"), str(root / "model.bin")]
    for _ in range(3):
        done = subprocess.run(train, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return root / "model.bin"
    raise AssertionError(f"fastText training failed three times: {done.stderr[-500:]}")


def expected(model_path, text):
    model = fasttext.load_model(str(model_path))
    labels, probs = model.predict(text.replace("\n", " "), k=-1)
    weighted = sum(LABEL_SCORES[label] * float(p) for label, p in zip(labels, probs, strict=True))
    return weighted / sum(float(p) for p in probs)


def test_score_is_the_label_expectation(textbook_model):
    texts = ["the theorem and its proof\n\nuse an integral", "lol click buy\ncheap deal", "a story"]
    out = apply(
        TextbookSampleEvaluator(model_path=str(textbook_model)), [{"raw_content": t} for t in texts]
    )
    got = [r["TextbookScore"] for r in out.batch.rows]
    assert got == pytest.approx([expected(textbook_model, t) for t in texts], abs=1e-6)
    assert got[0] > 4 and got[1] < 2 and all(1 <= g <= 5 for g in got)


def test_filter_keeps_textbook_like_text(textbook_model, tmp_path):
    op = TextbookFilter(min_score=3.5, max_score=5, model_path=str(textbook_model))
    rows = [{"raw_content": "derivative of energy equation"}, {"raw_content": "omg subscribe"}]
    out = apply(op, rows)
    assert [r["raw_content"] for r in out.batch.rows] == ["derivative of energy equation"]
    missing = apply(TextbookSampleEvaluator(model_path=str(tmp_path / "none.bin")), rows)
    assert len(missing.failed) == 2 and "no such file" in missing.failed[0][2]
