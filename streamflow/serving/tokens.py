"""Counting tokens without a model: estimates for rate limits, and the serving's own tokenizer
where it has one (for splitting long inputs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
