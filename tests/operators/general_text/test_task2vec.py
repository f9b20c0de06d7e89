"""Task2VecDatasetEvaluator on a tiny GPT-2 the test builds: the real loading, fine-tuning and
Fisher code; the distance against scipy; the streamed sample and its resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")

from streamflow.operators.general_text.task2vec import (  # noqa: E402
    Task2VecDatasetEvaluator,
    task2vec_distance,
)
from streamflow.testing import apply  # noqa: E402

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "bird",
    "sat",
    "ran",
    "flew",
    "on",
    "over",
    "under",
    "mat",
    "hill",
    "tree",
    "red",
    "green",
    "big",
    "small",
    "market",
    "price",
    "rose",
    "fell",
    "stock",
    "bank",
    "rate",
    "loan",
    "code",
    "bug",
    "test",
    "build",
    "run",
    "deploy",
]


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny-gpt2")
    vocab = {w: i for i, w in enumerate(["<pad>", "<unk>", "<eos>", *WORDS])}
    core = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>",
        model_max_length=64,
    )  # fmt: skip
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(vocab), n_positions=64, n_embd=32, n_layer=2, n_head=2,
        pad_token_id=0, eos_token_id=2, bos_token_id=2,
    )  # fmt: skip
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def feed(op: Task2VecDatasetEvaluator, texts: list[str], start: int = 0) -> None:
    ids = [f"src:{i}" for i in range(start, start + len(texts))]
    apply(op, [{"text": t} for t in texts], ids, input_key="text")


def test_distance_is_scaled_cosine() -> None:
    from scipy.spatial.distance import cosine

    rng = np.random.default_rng(0)
    h0, h1 = rng.random(50), rng.random(50)
    total = h0 + h1 + 1e-8
    assert task2vec_distance(h0, h1) == pytest.approx(cosine(h0 / total, h1 / total))
    assert task2vec_distance(h0, h0) == pytest.approx(0.0, abs=1e-12)


def test_identical_batches_have_no_diversity(tiny_gpt2: Path) -> None:
    op = Task2VecDatasetEvaluator(device="cpu", sample_nums=3, model_name=str(tiny_gpt2))
    feed(op, ["the cat sat on the mat"] * 5)
    report = op.report()
    assert report["rows"] == 3
    assert report["Task2VecDiversityScore"] == pytest.approx(0.0, abs=1e-9)


def test_different_batches_are_diverse_and_weights_are_restored(tiny_gpt2: Path) -> None:
    op = Task2VecDatasetEvaluator(device="cpu", sample_nums=4, model_name=str(tiny_gpt2))
    before = {k: v.clone() for k, v in op._probe.state_dict().items()}
    texts = [
        "the cat sat on the mat", "stock price rose and bank rate fell",
        "code bug test build run deploy", "a green bird flew over the big tree",
    ]  # fmt: skip
    feed(op, texts)
    report = op.report()
    assert report["Task2VecDiversityScore"] > 0.0 and report["ConfidenceInterval"] >= 0.0
    after = op._probe.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # every batch starts afresh
    # the same batch embedded twice gives the same embedding
    assert np.array_equal(op.embed(texts[:1]), op.embed(texts[:1]))


def test_sample_is_order_free_and_resumable(tiny_gpt2: Path) -> None:
    texts = [f"the cat {w} on the mat" for w in WORDS]
    whole = Task2VecDatasetEvaluator(device="cpu", sample_nums=4, model_name=str(tiny_gpt2))
    feed(whole, texts)
    part = Task2VecDatasetEvaluator(device="cpu", sample_nums=4, model_name=str(tiny_gpt2))
    feed(part, texts[:10])
    resumed = Task2VecDatasetEvaluator(device="cpu", sample_nums=4, model_name=str(tiny_gpt2))
    resumed.load_state_dict(part.state_dict())
    feed(resumed, texts[5:10], start=5)  # a replay of rows already seen changes nothing
    feed(resumed, texts[10:], start=10)
    assert resumed.sample == whole.sample and len(whole.sample) == 4


def test_parameters_are_checked(tiny_gpt2: Path) -> None:
    with pytest.raises(ValueError, match="montecarlo"):
        Task2VecDatasetEvaluator(device="cpu", method="variational", model_name=str(tiny_gpt2))
    with pytest.raises(ValueError, match="sample_nums"):
        Task2VecDatasetEvaluator(device="cpu", sample_nums=1, model_name=str(tiny_gpt2))
