"""Transparent gzip/zstd by file extension, shared by sources and sinks."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Literal, cast

import zstandard

COMPRESSIONS = (".gz", ".zst")


def is_compressed(path: Path) -> bool:
    return path.name.lower().endswith(COMPRESSIONS)


def bare_name(path: Path) -> str:
    """The lower-cased file name without its compression suffix: ``a.jsonl.zst`` -> ``a.jsonl``."""
    name = path.name.lower()
    for suffix in COMPRESSIONS:
        name = name.removesuffix(suffix)
    return name


def open_binary(path: Path, mode: Literal["rb", "wb"]) -> io.BufferedIOBase:
    """Open ``path`` as a binary stream, (de)compressing ``.gz`` / ``.zst``; raises OSError."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, mode)
    if name.endswith(".zst"):
        raw = zstandard.open(path, mode)
        return io.BufferedReader(raw) if mode == "rb" else io.BufferedWriter(raw)
    return cast(io.BufferedIOBase, open(path, mode))
