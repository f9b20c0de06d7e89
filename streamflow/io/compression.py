"""Transparent gzip/zstd by file extension, shared by sources and sinks.

A compressed input that ends early is an error, never a short read: gzip's reader raises
``EOFError`` for a file cut inside a member, and :class:`ZstdReader` does the same for a file cut
inside a zstd frame (zstandard's own reader returns the bytes it got and then a silent EOF, so a
truncated ``.jsonl.zst`` would read as fewer rows, or none, with no word said).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any, Literal, cast

import zstandard

__all__ = ["COMPRESSIONS", "ZstdReader", "bare_name", "is_compressed", "open_binary"]

COMPRESSIONS = (".gz", ".zst")
_ZSTD_CHUNK = 1 << 14  # compressed bytes fed at a time: bounds what one call decompresses
_ZSTD_BUFFER = 1 << 16  # the reader's buffer: fewer Python-level calls per megabyte


def is_compressed(path: Path) -> bool:
    return path.name.lower().endswith(COMPRESSIONS)


def bare_name(path: Path) -> str:
    """The lower-cased file name without its compression suffix: ``a.jsonl.zst`` -> ``a.jsonl``."""
    name = path.name.lower()
    for suffix in COMPRESSIONS:
        name = name.removesuffix(suffix)
    return name


def open_binary(path: Path, mode: Literal["rb", "wb"]) -> io.BufferedIOBase:
    """Open ``path`` as a binary stream, (de)compressing ``.gz`` / ``.zst``; raises OSError.

    Reading a compressed file that ends early raises ``EOFError`` when the reader reaches the
    cut; corrupt zstd data raises ``zstandard.ZstdError``.
    """
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, mode)
    if name.endswith(".zst"):
        if mode == "rb":
            return io.BufferedReader(ZstdReader(path), _ZSTD_BUFFER)
        return io.BufferedWriter(zstandard.open(path, mode))
    return cast(io.BufferedIOBase, open(path, mode))


class ZstdReader(io.RawIOBase):
    """A ``.zst`` file decompressed frame after frame as it is read.

    A file that ends inside a frame raises ``EOFError`` naming the compressed byte offset where
    the data stops, once everything before it has been read.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the decompressor of the frame being read, None between frames
        self._out = memoryview(b"")  # decompressed bytes not yet returned
        self._read = 0  # compressed bytes read so far
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out and not self._done:
            self._fill()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]  # a view: no copy
        return n

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()

    def _fill(self) -> None:
        data = self._file.read(_ZSTD_CHUNK)
        if not data:
            if self._frame is not None:
                raise EOFError(f"the file ends inside a zstd frame at compressed byte {self._read}")
            self._done = True
            return
        self._read += len(data)
        out = []
        while data:
            if self._frame is None:
                self._frame = self._decompressor.decompressobj()
            out.append(self._frame.decompress(data))
            if not self._frame.eof:
                break
            data = self._frame.unused_data
            self._frame = None
        self._out = memoryview(b"".join(out))
