"""MMDDatasetEvaluator: kernel arithmetic, streaming bottom-k samples, real embedding models."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from helpers import write_jsonl

from streamflow.operators.text_sft.mmd import MMDDatasetEvaluator, mmd_squared

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

QA = [
    ("what is water", "a liquid"),
    ("how do plants grow", "they need light and soil"),
    ("tell me a joke about cats", "why sky blue"),
    ("cook rice", "boil it"),
    ("write a poem about the sun", "sun sea good"),
    ("list three facts", "history of rome"),
    ("explain the moon", "light"),
    ("answer the question", "good"),
]
OTHER = [(f"{a} {a} {a}", f"bad bad {b}") for a, b in QA]


def rows(pairs, instruction="instruction"):
    return [{instruction: a, "output": b} for a, b in pairs]


def naive_mmd2(x, y, sigma, biased):
    def k(a, b):
        return math.exp(-sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) / (2 * sigma**2))

    def mean(a, b, same):
        pairs = [
            (i, j) for i in range(len(a)) for j in range(len(b)) if biased or not same or i != j
        ]
        return sum(k(a[i], b[j]) for i, j in pairs) / len(pairs)

    return mean(x, x, True) + mean(y, y, True) - 2 * mean(x, y, False)


@pytest.mark.parametrize("biased", [True, False])
def test_mmd_squared_equals_the_definition(biased):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 4)), rng.normal(1.0, size=(5, 4))
    got = mmd_squared(x, y, 1.5, biased=biased)
    assert got == pytest.approx(naive_mmd2(x.tolist(), y.tolist(), 1.5, biased), abs=1e-12)
    assert mmd_squared(x, x, 1.5) == pytest.approx(0.0, abs=1e-12)
    assert got > 0.01


def mean_pool_embeddings(model_dir, texts):
    import torch

    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModel.from_pretrained(model_dir).eval()
    out = []
    with torch.inference_mode():
        for text in texts:  # one at a time: no padding at all
            enc = tokenizer(text, return_tensors="pt")
            pooled = model(**enc).last_hidden_state[0].mean(0)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).double().numpy())
    return np.stack(out)


def run_mmd(chain, tmp_path, source_rows, op, batch_size=3, name="run"):
    src = tmp_path / "in.jsonl"
    if not src.exists():
        write_jsonl(src, source_rows)
    keys = {"input_instruction_key": "instruction", "input_output_key": "output"}
    out, run_dir = tmp_path / f"{name}.jsonl", tmp_path / name
    pipeline = chain([(op, keys)], entry_file=src, output_file=out, run_dir=run_dir)
    result = pipeline.run(batch_size=batch_size, overwrite=True)
    saved = json.loads((run_dir / "reports.json").read_text())
    return next(iter(result.reports.values())), next(iter(saved.values()))


def test_report_equals_the_mmd_of_directly_computed_embeddings(chain, tmp_path, tiny_encoder_dir):
    reference = write_jsonl(tmp_path / "ref.jsonl", rows(QA, instruction="input"))
    op = MMDDatasetEvaluator(
        str(reference),
        embedding_type="transformers",
        embedding_model_name=str(tiny_encoder_dir),
        rbf_sigma=0.5,
    )
    report, saved = run_mmd(chain, tmp_path, rows(OTHER), op)
    x = mean_pool_embeddings(tiny_encoder_dir, [f"{a}\n{b}" for a, b in OTHER])
    y = mean_pool_embeddings(tiny_encoder_dir, [f"{a}\n{b}" for a, b in QA])
    want = mmd_squared(x, y, 0.5)
    assert report["mmd2"] == pytest.approx(want, abs=1e-6)
    assert report["mmd"] == pytest.approx(math.sqrt(want), abs=1e-6) and want > 1e-3
    assert report["meta"]["eval_size"] == report["meta"]["ref_size"] == len(QA)
    assert saved == report


def test_same_data_as_the_reference_gives_zero(chain, tmp_path, tiny_encoder_dir):
    op = MMDDatasetEvaluator(
        rows(QA, instruction="input"),
        embedding_type="transformers",
        embedding_model_name=str(tiny_encoder_dir),
    )
    report, _ = run_mmd(chain, tmp_path, rows(QA), op)
    assert report["mmd2"] == pytest.approx(0.0, abs=1e-9)


def test_the_sample_is_the_same_whatever_the_batches(chain, tmp_path, tiny_encoder_dir):
    many = [(f"{a} {i}", b) for i in range(6) for a, b in QA]

    def report(batch_size):
        op = MMDDatasetEvaluator(
            rows(QA, instruction="input"),
            max_sample_num=10,
            embedding_type="transformers",
            embedding_model_name=str(tiny_encoder_dir),
        )
        return run_mmd(chain, tmp_path, rows(many), op, batch_size, name=f"b{batch_size}")[0]

    first, second = report(2), report(17)
    assert first["meta"]["eval_size"] == 10 and first["meta"]["ref_size"] == 8
    assert first["mmd2"] == pytest.approx(second["mmd2"], abs=1e-7)  # same rows, other padding


def test_state_round_trip_resumes_the_sample(tiny_encoder_dir):
    from streamflow.testing import apply

    def make():
        return MMDDatasetEvaluator(
            rows(QA, instruction="input"),
            max_sample_num=5,
            embedding_type="transformers",
            embedding_model_name=str(tiny_encoder_dir),
        )

    whole = make()
    apply(whole, rows(OTHER), ids=[f"r:{i}" for i in range(8)])
    first, resumed = make(), make()
    apply(first, rows(OTHER[:4]), ids=[f"r:{i}" for i in range(4)])
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))  # plain data
    apply(resumed, rows(OTHER[4:]), ids=[f"r:{i}" for i in range(4, 8)])
    assert resumed.report() == whole.report()
    assert whole.report()["meta"]["eval_size"] == 5


def test_sentence_transformers_model(chain, tmp_path, tiny_encoder_dir):
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    word = Transformer(str(tiny_encoder_dir))
    pooling = Pooling(word.get_word_embedding_dimension(), "mean")
    model_dir = tmp_path / "st-model"
    st.SentenceTransformer(modules=[word, pooling]).save(str(model_dir))
    op = MMDDatasetEvaluator(
        rows(QA, instruction="input"), embedding_model_name=str(model_dir), st_device="cpu"
    )
    report, _ = run_mmd(chain, tmp_path, rows(OTHER), op)
    x = mean_pool_embeddings(tiny_encoder_dir, [f"{a}\n{b}" for a, b in OTHER])
    y = mean_pool_embeddings(tiny_encoder_dir, [f"{a}\n{b}" for a, b in QA])
    assert report["mmd2"] == pytest.approx(mmd_squared(x, y, 1.0), abs=1e-5)


def test_configuration_errors_name_the_parameter():
    with pytest.raises(ValueError, match="embedding_model_name"):
        MMDDatasetEvaluator([])
    with pytest.raises(ValueError, match="'vllm' is not supported"):
        MMDDatasetEvaluator([], embedding_type="vllm", embedding_model_name="m")
    with pytest.raises(ValueError, match="cache_type"):
        MMDDatasetEvaluator([], embedding_model_name="m", cache_type="redis")
