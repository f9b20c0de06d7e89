"""Tiny models with the architectures of text_pt's published scorers (random weights, real
loading code): a BERT WordPiece tokenizer, PairQual's regressors, NVIDIA's hub-mixin quality
classifier and a four-output QuRater (LLaMA sequence classifier)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model_fixtures import WORDS


@pytest.fixture(scope="session")
def bert_tokenizer_dir(tmp_path_factory) -> Path:
    transformers = pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("bert-tokenizer")
    vocab = root / "vocab.txt"
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab.write_text("\n".join(specials + sorted(set(WORDS)) + list("abcdefghijklmnopqrstuvwxyz")))
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(vocab))
    out = root / "tokenizer"
    tokenizer.save_pretrained(out)
    return out


def _bert_config(transformers, tokenizer):
    return transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.5,
    )


@pytest.fixture(scope="session")
def tiny_pairqual_dirs(tmp_path_factory, bert_tokenizer_dir) -> dict[str, Path]:
    """{"en": dir, "zh": dir}: PairQual regressors saved with save_pretrained."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from streamflow.operators.text_pt.pair_qual import pair_qual_model_class

    tokenizer = transformers.AutoTokenizer.from_pretrained(bert_tokenizer_dir)
    out = {}
    for lang in ("en", "zh"):
        path = tmp_path_factory.mktemp(f"pairqual-{lang}")
        torch.manual_seed(1)
        pair_qual_model_class(lang)(_bert_config(transformers, tokenizer)).save_pretrained(path)
        tokenizer.save_pretrained(path)
        out[lang] = path
    return out


@pytest.fixture(scope="session")
def tiny_bert_classifier_dir(tmp_path_factory, bert_tokenizer_dir) -> Path:
    """A one-output BertForSequenceClassification (FineWeb-Edu's classifier's architecture)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(bert_tokenizer_dir)
    path = tmp_path_factory.mktemp("fineweb-edu")
    config = _bert_config(transformers, tokenizer)
    config.num_labels = 1
    torch.manual_seed(2)
    transformers.BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


QUALITY_LABELS = {"0": "High", "1": "Low", "2": "Medium"}


@pytest.fixture(scope="session")
def tiny_quality_dir(tmp_path_factory, tiny_encoder_dir) -> Path:
    """A directory laid out like nvidia/quality-classifier-deberta (PyTorchModelHubMixin):
    config.json with base_model / fc_dropout / id2label, model.safetensors with ``model.*`` and
    ``fc.*``, and the tokenizer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    safetensors = pytest.importorskip("safetensors.torch")
    path = tmp_path_factory.mktemp("quality-deberta")
    backbone = transformers.AutoModel.from_pretrained(tiny_encoder_dir)
    torch.manual_seed(3)
    head = torch.nn.Linear(backbone.config.hidden_size, len(QUALITY_LABELS))
    torch.nn.init.normal_(head.weight, std=2.0)
    weights = {f"model.{k}": v.contiguous() for k, v in backbone.state_dict().items()}
    weights |= {f"fc.{k}": v.contiguous() for k, v in head.state_dict().items()}
    safetensors.save_file(weights, str(path / "model.safetensors"))
    config = {"base_model": str(tiny_encoder_dir), "fc_dropout": 0.2, "id2label": QUALITY_LABELS}
    (path / "config.json").write_text(json.dumps(config))
    transformers.AutoTokenizer.from_pretrained(tiny_encoder_dir).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_qurater_dir(tmp_path_factory, tiny_llama_dir) -> Path:
    """A LlamaForSequenceClassification with four outputs (QuRater's architecture)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    path = tmp_path_factory.mktemp("qurater")
    config = transformers.AutoConfig.from_pretrained(tiny_llama_dir)
    config.num_labels = 4
    config.pad_token_id = 0
    torch.manual_seed(4)
    transformers.LlamaForSequenceClassification(config).save_pretrained(path)
    transformers.AutoTokenizer.from_pretrained(tiny_llama_dir).save_pretrained(path)
    return path
