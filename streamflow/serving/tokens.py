"""Counting tokens: estimates for rate limits, and real tokenizers (the serving model's, or a
named one) where a count must be exact (splitting long inputs, token-length filters)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamflow.errors import StreamflowError


def estimate_tokens(text: str) -> int:
    """About one token per four UTF-8 bytes, rounded up.

    English BPE vocabularies average roughly four characters a token; counting bytes rather
    than characters makes the estimate grow for CJK text (three bytes a character), which
    tokenizes into more tokens per character. Cheap, and on the high side for most text.
    """
    return (len(text.encode("utf-8")) + 3) // 4


def token_counter(serving: Any, enc: Any = None) -> Callable[[str], int]:
    """Count with ``enc`` (anything with ``encode(text)``), else the serving's ``tokenizer``
    when it exposes one, else :func:`estimate_tokens`."""
    for tokenizer in (enc, getattr(serving, "tokenizer", None)):
        encode = getattr(tokenizer, "encode", None)
        if callable(encode):
            return lambda text: len(encode(text))
    return estimate_tokens


class TextTokenizer:
    """A real tokenizer that counts the tokens of a text (no special tokens added).

    Wraps a ``tokenizers.Tokenizer`` (a model directory's ``tokenizer.json``) or a
    transformers tokenizer; ``encode`` returns the ids, so it also serves as ``enc`` for
    :func:`token_counter`.
    """

    def __init__(self, backend: Any, name: str) -> None:
        self._backend = backend
        self.name = name
        self._fast = hasattr(backend, "encode_batch")  # tokenizers.Tokenizer

    def encode(self, text: str) -> list[int]:
        if self._fast:
            return list(self._backend.encode(text, add_special_tokens=False).ids)
        return list(self._backend.encode(text, add_special_tokens=False))

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def count_many(self, texts: list[str]) -> list[int]:
        if self._fast:
            return [len(e.ids) for e in self._backend.encode_batch(texts, add_special_tokens=False)]
        return [self.count(t) for t in texts]

    def __repr__(self) -> str:
        return f"TextTokenizer({self.name!r})"


class TokenizerLoadError(StreamflowError):
    """A named tokenizer could not be loaded."""


def load_tokenizer(name_or_path: str | Path) -> TextTokenizer:
    """The tokenizer of a model directory (its ``tokenizer.json``), a ``tokenizer.json`` file,
    or a Hugging Face model id (through transformers, from its cache or the Hub).

    Blocking (reads files, may download): call it off the event loop.
    """
    path = Path(name_or_path).expanduser()
    file = path / "tokenizer.json" if path.is_dir() else path
    if file.is_file() and file.suffix == ".json":
        from tokenizers import Tokenizer

        try:
            return TextTokenizer(Tokenizer.from_file(str(file)), str(name_or_path))
        except Exception as exc:
            raise TokenizerLoadError(f"cannot read tokenizer {file}: {exc}") from exc
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise TokenizerLoadError(
            f"tokenizer {name_or_path!r} is not a local tokenizer.json and transformers is not "
            "installed to fetch it: pip install 'streamflow-data[models]'"
        ) from exc
    try:
        return TextTokenizer(AutoTokenizer.from_pretrained(str(name_or_path)), str(name_or_path))
    except Exception as exc:
        raise TokenizerLoadError(f"cannot load tokenizer {name_or_path!r}: {exc}") from exc


def serving_tokenizer(serving: Any = None) -> TextTokenizer:
    """The tokenizer of the model ``serving`` runs: its own ``text_tokenizer()`` where it has
    one (the in-process vLLM serving), the embedded default model's when ``serving`` is None.

    A remote serving does not expose its tokenizer: name one instead. Blocking.
    """
    if serving is None:
        from streamflow.models import prepare_default_model

        return load_tokenizer(prepare_default_model())
    own = getattr(serving, "text_tokenizer", None)
    if callable(own):
        tokenizer: TextTokenizer = own()
        return tokenizer
    raise TokenizerLoadError(
        f"{serving!r} does not expose its tokenizer; name one (a model directory, a "
        "tokenizer.json or a Hugging Face id)"
    )
