"""File sinks: JSON lines, JSON arrays, CSV and Parquet outputs, written batch by batch.

The runtime calls :meth:`Sink.write` from a worker thread, so writing is plain blocking I/O. A
sink holds at most one Parquet row group in memory; JSON lines and CSV go straight to the file.
Rows that do not fit the file (a field the CSV header or Parquet schema lacks, a value Parquet
cannot store) raise :class:`~streamflow.errors.SinkError` naming the field and the row id.
"""

from __future__ import annotations

import csv
import io
import os
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self, cast

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from streamflow.errors import SinkError
from streamflow.io.compression import is_compressed, open_binary
from streamflow.io.formats import WRITE_EXTENSIONS, format_of
from streamflow.rows import Batch, Row

EXTENSIONS = WRITE_EXTENSIONS
_ENCODER = msgspec.json.Encoder()


class Sink(Protocol):
    """Where a pipeline's rows end up; ``close`` flushes and may be called more than once."""

    path: Path

    def write(self, batch: Batch) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def open_sink(path: str | Path, *, format: str | None = None, row_group_size: int = 65536) -> Sink:
    """Open a sink for ``path``, its format from the extension unless ``format`` is given."""
    path = Path(path)
    fmt = format or format_of(path, "write")
    _make_parent(path)
    compressed = is_compressed(path)
    if fmt == "parquet":
        if compressed:
            raise SinkError(f"{path}: parquet compresses internally; remove the .gz/.zst")
        return ParquetSink(path, row_group_size)
    if fmt == "jsonl":
        return JsonlSink(path)
    if fmt == "json":
        return JsonArraySink(path)
    if fmt == "csv":
        return CsvSink(path)
    raise SinkError(f"unknown sink format {fmt!r} for {path} (known: csv, json, jsonl, parquet)")


class _FileSink(ABC):
    """Shared life cycle: parent directories made on open, idempotent ``close``, ``with``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.closed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SinkError(f"{path}: cannot create its directory: {err}") from err

    def write(self, batch: Batch) -> None:
        if self.closed:
            raise SinkError(f"{self.path}: write after close")
        if batch.rows:
            self._write(batch)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def _write(self, batch: Batch) -> None:
        """Write a non-empty batch."""

    @abstractmethod
    def _close(self) -> None:
        """Flush and release the file; called once."""


def supports_append(path: Path) -> bool:
    """Whether :func:`open_appending` can continue ``path`` at a byte offset (plain JSONL/CSV)."""
    return not is_compressed(path) and format_of(path, "write") in ("jsonl", "csv")


def open_appending(path: Path, offset: int, header: list[str] | None = None) -> JsonlSink | CsvSink:
    """Continue a plain JSONL or CSV file at ``offset`` (dropping anything after it).

    This is how a resumed run discards output written after its last checkpoint. A CSV sink
    continued past its header needs that ``header`` back.
    """
    _make_parent(path)
    try:
        mode = "r+b" if path.exists() else "wb"
        file = cast(io.BufferedIOBase, open(path, mode))  # noqa: SIM115 (the sink closes it)
        file.truncate(offset)
        file.seek(offset)
    except OSError as err:
        raise SinkError(f"{path}: cannot open for appending: {err.strerror or err}") from err
    if format_of(path, "write") == "csv":
        return CsvSink(path, file, header if offset else None)
    return JsonlSink(path, file)


def encode_lines(batch: Batch, path: Path) -> bytes:
    """``batch``'s rows as the JSON lines a :class:`JsonlSink` writes; a row that cannot be
    encoded raises :class:`~streamflow.errors.SinkError` naming ``path`` and the row."""
    try:
        return _ENCODER.encode_lines(batch.rows)
    except (TypeError, msgspec.EncodeError, OverflowError) as err:
        raise SinkError(f"{path}: {_unencodable(batch, err)}") from err


class JsonlSink(_FileSink):
    """One JSON object per line; each batch is one ``write`` call."""

    def __init__(self, path: Path, file: io.BufferedIOBase | None = None) -> None:
        super().__init__(path)
        self._file = file if file is not None else _open_binary(path)

    def commit(self) -> int:
        """Flush to disk; returns the byte offset everything before is durable up to."""
        return _sync(self._file)

    def write_lines(self, data: bytes) -> None:
        """Append rows already encoded by :func:`encode_lines` (a worker encoded them)."""
        if self.closed:
            raise SinkError(f"{self.path}: write after close")
        self._file.write(data)

    def _write(self, batch: Batch) -> None:
        self._file.write(encode_lines(batch, self.path))

    def _close(self) -> None:
        self._file.close()


class JsonArraySink(JsonlSink):
    """One JSON array of objects, a row per line (what DataFlow's ``cache_type="json"`` writes,
    and what the ``.json`` source reads back). The closing bracket comes at ``close``, so the
    file cannot be continued at a byte offset: a run directory spools it as JSON lines."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._file.write(b"[")
        self._first = True

    def _write(self, batch: Batch) -> None:
        if not batch.rows:
            return
        try:
            items = [_ENCODER.encode(row) for row in batch.rows]
        except (TypeError, msgspec.EncodeError, OverflowError) as err:
            raise SinkError(f"{self.path}: {_unencodable(batch, err)}") from err
        lead = b"\n" if self._first else b",\n"
        self._first = False
        self._file.write(lead + b",\n".join(items))

    def _close(self) -> None:
        self._file.write(b"\n]\n")
        super()._close()


class CsvSink(_FileSink):
    """CSV with a header taken from the first rows; nested values are written as JSON."""

    def __init__(
        self, path: Path, file: io.BufferedIOBase | None = None, header: list[str] | None = None
    ) -> None:
        super().__init__(path)
        self._binary = cast(IO[bytes], file if file is not None else _open_binary(path))
        self._file = io.TextIOWrapper(self._binary, "utf-8", newline="")
        self._writer = csv.writer(self._file)
        self._header: dict[str, None] | None = dict.fromkeys(header) if header else None

    @property
    def header(self) -> list[str] | None:
        return None if self._header is None else list(self._header)

    def commit(self) -> int:
        """Flush to disk; returns the byte offset everything before is durable up to."""
        self._file.flush()
        return _sync(self._binary)

    def _write(self, batch: Batch) -> None:
        if self._header is None:
            self._header = {key: None for row in batch.rows for key in row}
            self._writer.writerow(self._header)
        header = self._header
        lines = []
        for row_id, row in zip(batch.ids, batch.rows, strict=True):
            if extra := row.keys() - header.keys():
                fields = ", ".join(map(repr, sorted(extra)))
                raise SinkError(f"{self.path}: row {row_id}: field {fields} not in the CSV header")
            lines.append([_cell(row.get(key)) for key in header])
        self._writer.writerows(lines)

    def _close(self) -> None:
        self._file.close()


class ParquetSink(_FileSink):
    """Parquet, one row group per ``row_group_size`` rows; the first group fixes the schema."""

    def __init__(self, path: Path, row_group_size: int) -> None:
        super().__init__(path)
        if row_group_size < 1:
            raise SinkError(f"{path}: row_group_size must be at least 1, not {row_group_size}")
        self.row_group_size = row_group_size
        self._ids: list[str] = []
        self._rows: list[Row] = []
        self._writer: pq.ParquetWriter | None = None

    def _write(self, batch: Batch) -> None:
        self._ids.extend(batch.ids)
        self._rows.extend(batch.rows)
        while len(self._rows) >= self.row_group_size:
            self._flush(self.row_group_size)

    def _close(self) -> None:
        try:
            if self._rows or self._writer is None:
                self._flush(len(self._rows))
        finally:
            if self._writer is not None:
                self._writer.close()

    def _flush(self, n: int) -> None:
        """Write the first ``n`` buffered rows as a row group.

        They leave the buffer first, so a group that does not fit is reported once, not again
        by every later write and by ``close``.
        """
        ids, rows = self._ids[:n], self._rows[:n]
        del self._ids[:n], self._rows[:n]
        if self._writer is None:
            names = list({key: None for row in rows for key in row})
            table = pa.table([self._column(ids, rows, name, None) for name in names], names=names)
            self._writer = pq.ParquetWriter(self.path, table.schema)
        else:
            schema = self._writer.schema
            known = set(schema.names)
            for row_id, row in zip(ids, rows, strict=True):
                if extra := row.keys() - known:
                    fields = ", ".join(map(repr, sorted(extra)))
                    raise SinkError(
                        f"{self.path}: row {row_id}: field {fields} not in the Parquet schema "
                        f"(fixed by the first row group of {self.row_group_size} rows)"
                    )
            columns = [self._column(ids, rows, f.name, f.type) for f in schema]
            table = pa.Table.from_arrays(columns, schema=schema)
        self._writer.write_table(table)

    def _column(self, ids: list[str], rows: list[Row], name: str, type: pa.DataType | None) -> Any:
        """One column as an Arrow array; a value that does not fit names its row and field."""
        values = [row.get(name) for row in rows]
        try:
            return pa.array(values, type=type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as err:
            if type is None:  # first group: the first non-null value decides the column's type
                type = pa.array([next(v for v in values if v is not None)]).type
            for row_id, value in zip(ids, values, strict=True):
                try:
                    pa.array([value], type=type)
                except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                    hint = (
                        " (the first row group held only nulls)" if pa.types.is_null(type) else ""
                    )
                    raise SinkError(
                        f"{self.path}: row {row_id}: field {name!r}: cannot store {value!r:.80} "
                        f"in a Parquet column of type {type}{hint}"
                    ) from err
            raise SinkError(f"{self.path}: field {name!r}: {err}") from err


def _make_parent(path: Path) -> None:
    """Create the output's folder (DataFlow's ``cache_path`` is created when missing)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SinkError(f"{path}: cannot create its folder: {err.strerror or err}") from err


def _open_binary(path: Path) -> io.BufferedIOBase:
    """Open ``path`` for binary writing, compressing for ``.gz`` / ``.zst``."""
    try:
        return open_binary(path, "wb")
    except OSError as err:
        raise SinkError(f"{path}: cannot open for writing: {err.strerror or err}") from err


def _sync(file: IO[bytes] | io.BufferedIOBase) -> int:
    file.flush()
    os.fsync(file.fileno())
    return file.tell()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _ENCODER.encode(value).decode()
    return value


def _unencodable(batch: Batch, err: Exception) -> str:
    """Find the row behind a failed batch encode, so the message names it."""
    for row_id, row in zip(batch.ids, batch.rows, strict=True):
        try:
            _ENCODER.encode(row)
        except (TypeError, msgspec.EncodeError, OverflowError) as row_err:
            return f"row {row_id}: cannot encode as JSON: {row_err}"
    return f"cannot encode batch as JSON: {err}"
