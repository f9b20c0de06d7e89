"""File sources: JSON lines, JSON arrays, CSV, Parquet, text, HTML and WARC, read as row batches.

The runtime drives :meth:`FileSource.iter_batches` from a worker thread, so reading is plain
blocking I/O. Everything streams: a file is read record by record and only one batch is held at a
time, whatever the input size. Row ids are ``<file id>:<position>``: the file id comes from the
file's *content*, not its path (:mod:`streamflow.io.identity`: a moved or renamed input is the
same input, a JSONL file that grows keeps the ids of its old lines, and a run directory tells a
file rewritten in place from one that grew), the position is the record's byte offset for JSON
lines and WARC records, its index for other formats. WARC/ARC files (a row per HTML page a crawl
fetched) are read by :mod:`streamflow.io.warc`.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import glob
import io
from collections import Counter
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, cast

import ijson
import msgspec
import pyarrow.parquet as pq
import zstandard

from streamflow.errors import BadRecordError, SourceError
from streamflow.io.compression import is_compressed, open_binary
from streamflow.io.formats import READ_EXTENSIONS, READ_FORMATS, format_of
from streamflow.io.html import decode_html
from streamflow.io.identity import input_ids
from streamflow.io.records import BadRecord, Record
from streamflow.rows import Batch, Row

OnBadRecord = Literal["raise", "skip"]

EXTENSIONS = READ_EXTENSIONS
FORMATS = READ_FORMATS

_DECODER = msgspec.json.Decoder()
_RAW_LIMIT = 1000
_STREAM_ERRORS = (OSError, EOFError, zstandard.ZstdError)


class FileSource:
    """Reads one input path, a directory, a glob pattern, or a list of those, as row batches."""

    def __init__(
        self,
        paths: str | Path | Sequence[str | Path],
        *,
        on_bad_record: OnBadRecord = "raise",
        format: str | None = None,
        text_field: str = "text",
        html_field: str = "html",
        path_field: str = "path",
        pdf_rows: str = "document",
        pdf_password: str = "",
    ) -> None:
        if on_bad_record not in ("raise", "skip"):
            raise SourceError(f"on_bad_record must be 'raise' or 'skip', not {on_bad_record!r}")
        if pdf_rows not in ("document", "page"):
            raise SourceError(f"pdf_rows must be 'document' or 'page', not {pdf_rows!r}")
        if format is not None and format not in FORMATS:
            raise SourceError(f"unknown format {format!r} (known: {', '.join(sorted(FORMATS))})")
        self.specs = [paths] if isinstance(paths, str | Path) else list(paths)
        if not self.specs:
            raise SourceError("no input paths given")
        self.on_bad_record = on_bad_record
        self.format = format
        self.text_field = text_field
        self.html_field = html_field
        self.path_field = path_field
        self.pdf_rows = pdf_rows
        self.pdf_password = pdf_password
        self._files: list[Path] | None = None
        self._ids: dict[Path, str] | None = None

    @property
    def files(self) -> list[Path]:
        """Every input file, resolved, sorted and deduplicated; checked once, on first use."""
        if self._files is None:
            found = {p.resolve() for spec in self.specs for p in _expand(Path(spec))}
            self._files = sorted(found)
            for path in self._files:
                self._format(path)
        return self._files

    @property
    def file_ids(self) -> dict[Path, str]:
        """Each input file's id, the first part of its rows' ids (see the module docstring)."""
        if self._ids is None:
            self._ids = input_ids(self.files)
        return self._ids

    def use_file_ids(self, ids: Mapping[Path, str]) -> None:
        """Take the ids a run directory matched to these files (:func:`~streamflow.io.identity.
        identify`), so that a moved or grown input keeps the ids an earlier run gave it."""
        missing = set(self.files) - set(ids)
        if missing:
            raise ValueError(f"no id given for {', '.join(map(str, sorted(missing)))}")
        self._ids = {path: ids[path] for path in self.files}

    def excluding(self, paths: Sequence[Path]) -> FileSource:
        """This source without ``paths`` (resolved): a run's own files inside its input."""
        unwanted = set(paths)
        source = copy.copy(self)
        source._files = [path for path in self.files if path not in unwanted]
        source._ids = None
        return source

    def fields(self) -> list[str] | None:
        """Field names of the first record, or None when the input holds no rows."""
        for path in self.files:
            with contextlib.closing(self._records(path, 1, {})) as records:
                for record in records:
                    if not isinstance(record, BadRecord):
                        return list(record[1])
        return None

    def iter_batches(
        self, batch_size: int, after: Mapping[str, int] | None = None
    ) -> Generator[tuple[Batch, list[BadRecord]]]:
        """Yield batches of at most ``batch_size`` rows, with the bad records met on the way.

        Batches span file boundaries, so a directory of small files still makes full batches.
        ``after`` (file fingerprint -> offset of the last record consumed, from a checkpoint)
        lets a plain JSON-lines file or a WARC file start right after that record instead of at
        its beginning; other formats start at the beginning and the caller skips what it has
        seen.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        ids: list[str] = []
        rows: list[Row] = []
        bad: list[BadRecord] = []
        for path in self.files:
            with contextlib.closing(self._records(path, batch_size, after or {})) as records:
                for record in records:
                    if isinstance(record, BadRecord):
                        if self.on_bad_record == "raise":
                            raise BadRecordError(record.path, record.where, record.reason)
                        bad.append(record)
                    else:
                        ids.append(record[0])
                        rows.append(record[1])
                    if len(rows) >= batch_size or len(bad) >= batch_size:
                        yield Batch(ids, rows), bad
                        ids, rows, bad = [], [], []
        if rows or bad:
            yield Batch(ids, rows), bad

    def describe(self) -> str:
        """A one-line summary of the input for logs and ``streamflow status``."""
        files = self.files
        if len(files) == 1:
            return f"{files[0]} ({self._format(files[0])})"
        counts = Counter(self._format(p) for p in files)
        kinds = ", ".join(f"{n} {fmt}" for fmt, n in sorted(counts.items()))
        return f"{len(files)} files ({kinds}) from {', '.join(map(str, self.specs))}"

    def _format(self, path: Path) -> str:
        fmt = self.format or format_of(path)
        if fmt == "parquet" and is_compressed(path):
            raise SourceError(f"{path}: parquet compresses internally; remove the .gz/.zst")
        if fmt == "pdf" and is_compressed(path):
            raise SourceError(f"{path}: PDF files are read as they are, not .gz/.zst")
        if fmt == "warc" and path.name.lower().endswith(".zst"):
            raise SourceError(f"{path}: WARC/ARC files are read plain or gzipped, not .zst")
        return fmt

    def _records(self, path: Path, batch_size: int, after: Mapping[str, int]) -> Generator[Record]:
        """One file's records; a stream that breaks off (truncated .gz) ends in a bad record."""
        fp = self.file_ids[path]
        fmt = self._format(path)
        count = 0
        try:
            if fmt == "jsonl":
                records = _jsonl(path, fp, None if is_compressed(path) else after.get(fp))
            elif fmt == "json":
                records = _json(path, fp)
            elif fmt == "csv":
                records = _csv(path, fp)
            elif fmt == "parquet":
                records = _parquet(path, fp, batch_size)
            elif fmt == "warc":
                from streamflow.io.warc import warc_records  # imports warcio only when needed

                records = warc_records(
                    path,
                    fp,
                    after.get(fp),
                    html_field=self.html_field,
                    path_field=self.path_field,
                )
            elif fmt == "pdf":
                from streamflow.io.documents.source import pdf_records  # the ``pdf`` extra

                records = pdf_records(
                    path,
                    fp,
                    rows=self.pdf_rows,  # type: ignore[arg-type]
                    text_field=self.text_field,
                    path_field=self.path_field,
                    password=self.pdf_password,
                )
            else:
                records = self._whole_file(path, fp, fmt)
            with contextlib.closing(records):
                for record in records:
                    yield record
                    count += 1
        except _STREAM_ERRORS as err:
            reason = f"unreadable after {count} records: {err}"
            yield BadRecord(f"{fp}:file", str(path), "file", reason, "")

    def _whole_file(self, path: Path, fp: str, fmt: str) -> Generator[Record]:
        with _open(path) as f:
            data = f.read()
        if fmt == "html":
            yield f"{fp}:0", {self.path_field: str(path), self.html_field: decode_html(data)}
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            where = f"byte offset {err.start}"
            yield BadRecord(f"{fp}:0", str(path), where, "not valid UTF-8", _raw(data))
            return
        yield f"{fp}:0", {self.path_field: str(path), self.text_field: text}


def _expand(spec: Path) -> list[Path]:
    """The files one input spec names: itself, a directory's known files, or a glob's matches.

    An existing path wins over a pattern, so a file named ``data[1].jsonl`` is still found.
    """
    if spec.is_dir():
        files = _known_files(spec)
        if not files:
            known = ", ".join(sorted(EXTENSIONS))
            raise SourceError(f"{spec}: directory holds no files with a known extension ({known})")
        return files
    if spec.exists():
        return [spec]
    text = str(spec)
    if not any(c in text for c in "*?["):
        raise SourceError(f"{spec}: no such file or directory")
    matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
    if not matches:
        raise SourceError(f"{text}: the pattern matches no files")
    return [f for m in matches for f in (_known_files(m) if m.is_dir() else [m])]


def _known_files(directory: Path) -> list[Path]:
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            with contextlib.suppress(SourceError):
                format_of(path)
                found.append(path)
    return found


def _open(path: Path) -> io.BufferedIOBase:
    """Open ``path`` for binary reading, decompressing ``.gz`` / ``.zst`` on the fly."""
    try:
        return open_binary(path, "rb")
    except OSError as err:
        raise SourceError(f"{path}: cannot open: {err.strerror or err}") from err


def _raw(data: bytes | str) -> str:
    if isinstance(data, bytes):
        data = data[: _RAW_LIMIT * 4].decode("utf-8", errors="replace")
    return data[:_RAW_LIMIT]


def _jsonl(path: Path, fp: str, after: int | None = None) -> Generator[Record]:
    """Records with their byte offsets; ``after`` seeks past the record at that offset (line
    numbers are then unknown, and errors name the byte offset instead)."""
    offset = 0
    number: int | None = 0
    with _open(path) as f:
        if after is not None:
            f.seek(after)
            offset, number = after + len(f.readline()), None
        for line in f:
            start, offset = offset, offset + len(line)
            if number is not None:
                number += 1
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8) :]
            if not line.strip():
                continue
            try:
                row = _DECODER.decode(line)
            except msgspec.DecodeError as err:
                reason = f"invalid JSON: {err}"
            else:
                if isinstance(row, dict):
                    yield f"{fp}:{start}", row
                    continue
                reason = f"expected a JSON object, got {_json_type(row)}"
            where = f"line {number}" if number is not None else f"byte offset {start}"
            yield BadRecord(f"{fp}:{start}", str(path), where, reason, _raw(line))


def _json(path: Path, fp: str) -> Generator[Record]:
    """A JSON array of objects, streamed; a file starting with ``{`` is read as JSON lines."""
    with _open(path) as f:
        chunk = f.read(4096)
        while chunk.isspace():
            chunk = f.read(4096)
    if not chunk.lstrip().startswith(b"["):
        yield from _jsonl(path, fp)
        return
    index = 0
    with _open(path) as f:
        items = ijson.items(f, "item", use_float=True)
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except ijson.JSONError as err:
                reason = f"invalid JSON, rest of file unreadable: {err}"
                yield BadRecord(f"{fp}:{index}", str(path), f"record {index + 1}", reason, "")
                return
            if isinstance(item, dict):
                yield f"{fp}:{index}", item
            else:
                reason = f"expected a JSON object, got {_json_type(item)}"
                raw = _raw(msgspec.json.encode(item))
                yield BadRecord(f"{fp}:{index}", str(path), f"record {index + 1}", reason, raw)
            index += 1


def _csv(path: Path, fp: str) -> Generator[Record]:
    csv.field_size_limit(2**31 - 1)  # long documents are the norm in LLM data
    with (
        _open(path) as binary,
        io.TextIOWrapper(cast(IO[bytes], binary), "utf-8-sig", newline="") as f,
    ):
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            if header is None:
                return
            index = 0
            for values in reader:
                if not values:
                    continue
                if len(values) == len(header):
                    yield f"{fp}:{index}", dict(zip(header, values, strict=True))
                else:
                    reason = f"expected {len(header)} fields (header), got {len(values)}"
                    where = f"line {reader.line_num}"
                    yield BadRecord(f"{fp}:{index}", str(path), where, reason, _csv_line(values))
                index += 1
        except (csv.Error, UnicodeDecodeError) as err:
            reason = f"unreadable, rest of file skipped: {err}"
            yield BadRecord(f"{fp}:file", str(path), f"line {reader.line_num + 1}", reason, "")


def _parquet(path: Path, fp: str, batch_size: int) -> Generator[Record]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for a file that is not parquet
        yield BadRecord(f"{fp}:file", str(path), "file", f"not a readable parquet file: {err}", "")
        return
    with parquet:
        index = 0
        for record_batch in parquet.iter_batches(batch_size=batch_size):
            for row in record_batch.to_pylist():
                yield f"{fp}:{index}", row
                index += 1


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return _raw(out.getvalue().rstrip("\r\n"))


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
