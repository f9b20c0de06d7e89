"""Reading a row's field in an operator, with errors that name the operator and the field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from streamflow.rows import Row

__all__ = ["compared_text", "one_or_more_keys", "text_field"]

_canonical = msgspec.json.Encoder(order="deterministic")


def text_field(op: str, row: Row, key: str) -> str:
    """``row[key]`` as a string; a missing or non-string field raises an error naming ``op`` and
    ``key`` (a bare KeyError names neither), which is what its dead letter then says."""
    try:
        value = row[key]
    except KeyError:
        raise KeyError(f"{op}: row has no field {key!r}") from None
    if not isinstance(value, str):
        raise TypeError(f"{op}: field {key!r} must be a string, got {type(value).__name__}")
    return value


def compared_text(
    op: str, row: Row, keys: Sequence[str], transform: Callable[[str], str] | None = None
) -> str:
    """What a dedup filter compares: one field's value, or several as ``"key:\nvalue"`` lines.

    None is ``""``, a non-string is its canonical JSON, and ``transform`` (normalisation)
    applies to each value; a missing field raises an error naming ``op`` and the field.
    """

    def value(key: str) -> str:
        try:
            raw: Any = row[key]
        except KeyError:
            raise KeyError(f"{op}: row has no field {key!r}") from None
        text = (
            "" if raw is None else raw if isinstance(raw, str) else _canonical.encode(raw).decode()
        )
        return transform(text) if transform is not None else text

    if len(keys) == 1:
        return value(keys[0])
    return "\n".join(f"{key}:\n{value(key)}" for key in keys)


def one_or_more_keys(op: str, input_keys: list[str] | None, input_key: str | None) -> list[str]:
    """The fields named by ``input_key`` or ``input_keys`` (exactly one of them, DataFlow-style)."""
    if (input_keys is None) == (input_key is None) or input_keys == []:
        raise ValueError(f"{op}: give either input_key or a non-empty input_keys")
    return [input_key] if input_key is not None else list(input_keys or ())
