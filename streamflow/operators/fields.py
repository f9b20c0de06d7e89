"""Reading a row's field in an operator, with errors that name the operator and the field."""

from __future__ import annotations

from streamflow.rows import Row


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
