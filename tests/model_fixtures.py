"""Tiny models with real architectures and random weights, built once per session.

The scorers' published models cannot be downloaded here; these run the same loading and
inference code (``from_pretrained`` of a directory, a real tokenizer, batched forward passes).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

WORDS = [
    "what",
    "is",
    "water",
    "a",
    "liquid",
    "cook",
    "rice",
    "boil",
    "it",
    "how",
    "do",
    "plants",
    "grow",
    "they",
    "need",
    "light",
    "and",
    "soil",
    "explain",
    "the",
    "moon",
    "tell",
    "me",
    "joke",
    "about",
    "cats",
    "write",
    "poem",
    "sun",
    "sea",
    "answer",
    "question",
    "good",
    "bad",
    "list",
    "three",
    "facts",
    "history",
    "of",
    "rome",
    "why",
    "sky",
    "blue",
]


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory, smollm2_dir: Path) -> Path:
    """A two-layer LlamaForCausalLM (Deita's and InsTagger's architecture) with SmolLM2's
    tokenizer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    out = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = transformers.AutoTokenizer.from_pretrained(smollm2_dir)
    tokenizer.save_pretrained(out)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_range=0.5,
    )
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    return out


def _spm_tokenizer_dir(root: Path) -> Path:
    """A DeBERTa-v2 tokenizer over a SentencePiece model trained here on a small word list."""
    spm = pytest.importorskip("sentencepiece")
    rng = random.Random(0)
    corpus = root / "corpus.txt"
    corpus.write_text(
        "\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(2000))
    )
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(root / "spm"),
        vocab_size=120,
        model_type="unigram",
        pad_id=0,
        unk_id=1,
        bos_id=2,
        eos_id=3,
        user_defined_symbols=["[MASK]", "[SEP]", "[CLS]"],
        minloglevel=2,
        hard_vocab_limit=False,
    )
    tokenizer_dir = root / "tokenizer"
    tokenizer_dir.mkdir()
    shutil.copy(root / "spm.model", tokenizer_dir / "spm.model")
    return tokenizer_dir


@pytest.fixture(scope="session")
def tiny_reward_dir(tmp_path_factory) -> Path:
    """A DeBERTa-v2 sequence classifier with one output (the reward model's architecture)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("tiny-reward")
    tokenizer = transformers.DebertaV2Tokenizer.from_pretrained(_spm_tokenizer_dir(root))
    out = root / "model"
    tokenizer.save_pretrained(out)
    config = transformers.DebertaV2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=1,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.5,
    )
    torch.manual_seed(0)
    transformers.DebertaV2ForSequenceClassification(config).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    """A DeBERTa-v2 encoder, for sentence embeddings by mean pooling."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = transformers.DebertaV2Tokenizer.from_pretrained(_spm_tokenizer_dir(root))
    out = root / "model"
    tokenizer.save_pretrained(out)
    config = transformers.DebertaV2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.5,
    )
    torch.manual_seed(0)
    transformers.DebertaV2Model(config).save_pretrained(out)
    return out
