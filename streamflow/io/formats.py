"""Format detection, one place for sources and sinks: a file's format from its extension.

A ``.gz`` or ``.zst`` suffix is ignored (the file is compressed, its format is what comes
before). Reading knows more formats than writing; ``.json`` reads a JSON array or object but
writes JSON lines, which is what a streaming sink can append to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from streamflow.errors import SinkError, SourceError
from streamflow.io.compression import bare_name

READ_EXTENSIONS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".html": "html",
    ".htm": "html",
    ".warc": "warc",  # .warc.gz too: the WARC reader handles gzip members itself
    ".arc": "warc",
    ".pdf": "pdf",  # read by streamflow.io.documents.source (the ``pdf`` extra)
}
WRITE_EXTENSIONS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",  # a JSON array, as the .json source reads it
    ".csv": "csv",
    ".parquet": "parquet",
}
READ_FORMATS = frozenset(READ_EXTENSIONS.values())
WRITE_FORMATS = frozenset(WRITE_EXTENSIONS.values())


def format_of(path: Path, mode: Literal["read", "write"] = "read") -> str:
    """The format of ``path`` from its extension, for reading or for writing.

    An unknown extension raises :class:`~streamflow.errors.SourceError` (reading) or
    :class:`~streamflow.errors.SinkError` (writing), listing the known ones.
    """
    table = READ_EXTENSIONS if mode == "read" else WRITE_EXTENSIONS
    fmt = table.get(Path(bare_name(path)).suffix)
    if fmt is not None:
        return fmt
    known = ", ".join(sorted(table))
    if mode == "read":
        raise SourceError(
            f"{path}: unknown file format (known extensions: {known}, optionally + .gz/.zst)"
        )
    raise SinkError(f"{path}: unknown output format (known extensions: {known}, + .gz/.zst)")
