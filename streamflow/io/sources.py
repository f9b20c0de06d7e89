"""File sources: JSON lines, JSON arrays, CSV, Parquet, text, HTML and WARC, read as row batches.

The runtime drives :meth:`FileSource.iter_batches` from a worker thread, so reading is plain
blocking I/O. Everything streams: a file is read record by record and only one batch is held at a
time, whatever the input size. Row ids are ``<file id>:<position>``: the file id comes from the
file's *content*, not its path (:mod:`streamflow.io.identity`: a moved or renamed input is the
same input, a JSONL file that grows keeps the ids of its old lines, and a run directory tells a
file rewritten in place from one that grew), the position is the record's byte offset for JSON
lines and WARC records, its index for other formats. WARC/ARC files (a row per HTML page a crawl
fetched) are read by :mod:`streamflow.io.warc`.

**Damaged input is named, never read short.** A compressed file cut short (``.gz`` or ``.zst``)
ends in a bad record saying it is truncated, after the records before the cut. A CSV record
with bytes that are not UTF-8 is a bad record naming its line, and only that record is lost; a
header that repeats a column name, and a quote that is never closed, are errors naming the line.

**A JSON-lines file still being written.** Its last line may have no newline yet. Such a line is
read when it parses as a complete JSON object (a finished file whose writer left out the final
newline); otherwise it is left unread -- not a bad record, and no checkpoint moves past it -- with
a warning naming the file, so a later run reads it once its writer has finished it.

**Fields.** :meth:`FileSource.fields` is the union of the fields of a sample of rows: the first
:data:`FIELD_SAMPLE` JSON rows (of all input files, in order), one row per CSV or Parquet file
(one schema each), one row per fixed-field format (text, HTML, WARC, PDF). ``compile()`` checks
the first step's input keys against it; :meth:`FileSource.sample_fields` also says which rows.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import glob
import io
import re
import warnings
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
from streamflow.io.records import FIELD_SAMPLE, BadRecord, FieldSample, Record
from streamflow.rows import Batch, Row

__all__ = [
    "EXTENSIONS",
    "FIELD_SAMPLE",
    "FORMATS",
    "FileSource",
    "UnfinishedLineWarning",
    "jsonl_span",
]

OnBadRecord = Literal["raise", "skip"]

EXTENSIONS = READ_EXTENSIONS
FORMATS = READ_FORMATS

_DECODER = msgspec.json.Decoder()
_RAW_LIMIT = 1000
_STREAM_ERRORS = (OSError, EOFError, zstandard.ZstdError)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LOW_SURROGATE = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # undecodable bytes, as surrogateescape keeps them


_OWN_FIELDS = frozenset({"jsonl", "json"})
"""Formats whose rows each have their own fields."""
_FIXED_FIELDS = frozenset({"text", "html", "warc", "pdf"})
"""Formats whose rows' fields are fixed by the source's options."""


class UnfinishedLineWarning(UserWarning):
    """The last line of a JSON-lines file has no newline and is not complete: left unread."""


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

    def fields(self, sample: int = FIELD_SAMPLE) -> list[str] | None:
        """Field names of the first ``sample`` rows (their union, in order of first appearance),
        or None when the input holds no rows."""
        found = self.sample_fields(sample)
        return None if found is None else list(found.names)

    def sample_fields(self, sample: int = FIELD_SAMPLE) -> FieldSample | None:
        """The union of the fields of a sample of rows, and which rows those were; None when the
        input holds no rows. Bad records are passed over.

        JSON rows each have their own fields: the first ``sample`` of them are read. A CSV or
        Parquet file has one schema, so its first row stands for the file; a text, HTML, WARC or
        PDF row's fields are fixed by the source's options, so one row stands for the format.
        """
        names: dict[str, None] = {}
        count = 0
        files: list[Path] = []
        formats_seen: set[str] = set()
        for path in self.files:
            fmt = self._format(path)
            if fmt in _FIXED_FIELDS and fmt in formats_seen:
                continue
            wanted = sample - count if fmt in _OWN_FIELDS else 1
            with contextlib.closing(self._records(path, wanted, {}, sampling=True)) as records:
                read = 0
                for record in records:
                    if isinstance(record, BadRecord):
                        continue
                    names.update(dict.fromkeys(record[1]))
                    read += 1
                    if read >= wanted:
                        break
            if read:
                count += read
                files.append(path)
                formats_seen.add(fmt)
            if count >= sample:
                break
        if not files:
            return None
        if len(self.files) == 1:
            if count >= sample or self._format(files[0]) not in _OWN_FIELDS:
                rows = "the first row" if count == 1 else f"the first {count} rows"
            else:
                rows = "the only row" if count == 1 else f"all {count} rows"
            where = f"{rows} of {files[0]}"
        else:
            where = f"{count} rows from {len(files)} of {len(self.files)} input files"
        return FieldSample(tuple(names), count, where)

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

    def in_byte_ranges(self) -> bool:
        """Whether every input file is plain (uncompressed) JSON lines, so shards of it can be
        read on their own (:func:`jsonl_span`)."""
        return all(self._format(p) == "jsonl" and not is_compressed(p) for p in self.files)

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

    def _records(
        self, path: Path, batch_size: int, after: Mapping[str, int], *, sampling: bool = False
    ) -> Generator[Record]:
        """One file's records; a stream that breaks off (a truncated .gz or .zst) ends in a bad
        record. ``sampling`` (reading for :meth:`fields`) keeps the notices for the real read."""
        fp = self.file_ids[path]
        fmt = self._format(path)
        count = 0
        try:
            if fmt == "jsonl":
                start = None if is_compressed(path) else after.get(fp)
                records = _jsonl(path, fp, start, warn_unfinished=not sampling)
            elif fmt == "json":
                records = _json(path, fp, warn_unfinished=not sampling)
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
            if isinstance(err, EOFError):
                reason = f"unreadable after {count} records: the file is truncated ({err})"
            else:
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


def _jsonl(
    path: Path, fp: str, after: int | None = None, *, warn_unfinished: bool = True
) -> Generator[Record]:
    """Records with their byte offsets; ``after`` seeks past the record at that offset (line
    numbers are then unknown, and errors name the byte offset instead).

    A last line without a newline is read only when it is a complete JSON object; otherwise it
    is a line still being written, left unread (with an :class:`UnfinishedLineWarning`).
    """
    with _open(path) as f:
        if after is None:
            yield from _jsonl_lines(f, path, fp, 0, 0, warn_unfinished=warn_unfinished)
        else:
            f.seek(after)
            offset = after + len(f.readline())
            yield from _jsonl_lines(f, path, fp, offset, None, warn_unfinished=warn_unfinished)


def jsonl_span(
    path: Path, fp: str, start: int, end: int | None, *, warn_unfinished: bool = True
) -> Generator[Record]:
    """The records of the lines of a plain (uncompressed) JSON-lines file that *start* in
    ``[start, end)`` (``end`` None: to the end of the file): one shard of the file, read as
    :class:`FileSource` reads the whole of it (the same ids, bad records and unfinished last
    line). Consecutive spans therefore read every line exactly once, wherever they are cut.
    A bad record names its line: the lines before the span are counted when one is met.
    """
    if is_compressed(path):
        raise SourceError(f"{path}: a compressed file cannot be read in byte ranges")
    with _open(path) as f:
        offset = start
        if start > 0:
            f.seek(start - 1)
            if f.read(1) != b"\n":  # inside a line: it belongs to the span before
                offset += len(f.readline())
        yield from _jsonl_lines(
            f, path, fp, offset, None, end=end, count_lines=True, warn_unfinished=warn_unfinished
        )


def _jsonl_lines(
    f: IO[bytes] | io.BufferedIOBase,
    path: Path,
    fp: str,
    offset: int,
    number: int | None,
    *,
    end: int | None = None,
    count_lines: bool = False,
    warn_unfinished: bool = True,
) -> Generator[Record]:
    """The records of ``f`` from ``offset`` (where it stands) to the first line starting at
    ``end`` or after; ``number`` is the line number before ``offset`` (None: unknown, counted
    from the file's start at the first bad record with ``count_lines``, else errors name the
    byte offset)."""
    for line in f:
        start, offset = offset, offset + len(line)
        if end is not None and start >= end:
            return
        if number is not None:
            number += 1
        if start == 0 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if not line.strip():
            continue
        try:
            row = _DECODER.decode(line)
        except msgspec.DecodeError as err:
            reason = _invalid_json(line, err)
        else:
            if isinstance(row, dict):
                yield f"{fp}:{start}", row
                continue
            reason = f"expected a JSON object, got {_json_type(row)}"
        if number is None and count_lines:
            number = _lines_before(path, start) + 1
        where = f"line {number}" if number is not None else f"byte offset {start}"
        if not line.endswith(b"\n"):  # the last line, and not a whole object: unfinished
            _unfinished(path, where, warn_unfinished)
            return
        yield BadRecord(f"{fp}:{start}", str(path), where, reason, _raw(line))


def _lines_before(path: Path, offset: int, chunk: int = 1 << 20) -> int:
    """How many lines of ``path`` end before byte ``offset``."""
    count = 0
    with _open(path) as f:
        while offset > 0:
            data = f.read(min(chunk, offset))
            if not data:
                break
            count += data.count(b"\n")
            offset -= len(data)
    return count


def _unfinished(path: Path, where: str, warn: bool) -> None:
    if warn:
        warnings.warn(
            f"{path}: {where}, the last line, has no newline and is not a complete JSON object: "
            "left unread as a line still being written (a later run reads it once it is whole)",
            UnfinishedLineWarning,
            stacklevel=2,
        )


def _invalid_json(line: bytes, err: msgspec.DecodeError) -> str:
    """Why ``line`` is not JSON; msgspec calls a lone surrogate escape 'truncated' input."""
    lone = _lone_surrogate(line)
    if lone is not None:
        return _lone_surrogate_reason(lone[1])
    return f"invalid JSON: {err}"


def _lone_surrogate_reason(escape: str) -> str:
    return (
        f"invalid JSON: {escape} is a lone surrogate escape (half of a UTF-16 pair), "
        "which no text can hold"
    )


def _lone_surrogate(line: bytes, start: int = 0) -> tuple[int, str] | None:
    r"""The offset and text of the first ``\uD800``-``\uDFFF`` escape in ``line`` (from
    ``start``; what comes before is context) that is not half of a pair."""
    for match in _SURROGATE_ESCAPE.finditer(line, start):
        at = match.start()
        backslashes = len(line[:at]) - len(line[:at].rstrip(b"\\"))
        if backslashes % 2:  # an escaped backslash followed by the letters "u d 8 0 0"
            continue
        escape = match.group()
        if _HIGH_SURROGATE.fullmatch(escape):
            if _LOW_SURROGATE.match(line, match.end()):
                continue
        elif _HIGH_SURROGATE.fullmatch(line[max(at - 6, 0) : at]):
            continue
        return at, escape.decode()
    return None


class _LoneSurrogate(Exception):
    def __init__(self, escape: str) -> None:
        super().__init__(escape)
        self.escape = escape


class _SurrogateGuard:
    r"""A binary file for ijson that ends at the first lone surrogate escape (``\ud800``).

    ijson's C backend turns a lone high surrogate into ``?`` without a word, and fails on a
    lone low one with a bare ``UnicodeDecodeError``. This hands it the data up to the escape
    (so the records before it are read), then raises :class:`_LoneSurrogate`.
    """

    _PAIR = 12  # an escaped surrogate pair's length: how far ahead a check must see

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f
        self._held = b""  # the last bytes read, kept back as the look-ahead of the check
        self._context = b""  # the end of what was handed out, for the look-behind
        self._error: _LoneSurrogate | None = None

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._error is not None:
            raise self._error
        buffer = self._held
        while True:
            chunk = self._f.read(size)
            buffer += chunk
            if not chunk:
                data, self._held = buffer, b""
                break
            if len(buffer) > self._PAIR:
                data, self._held = buffer[: -self._PAIR], buffer[-self._PAIR :]
                break
        if b"\\" in buffer and _SURROGATE_ESCAPE.search(buffer):  # memchr first: cheap
            context = self._context[-16:]
            lone = _lone_surrogate(context + buffer, len(context))
            at = -1 if lone is None else lone[0] - len(context)
            if lone is not None and at < len(data):  # one in the look-ahead waits its turn
                self._error = _LoneSurrogate(lone[1])
                data = data[:at]
                if not data:
                    raise self._error
        self._context = data
        return data


def _json(path: Path, fp: str, *, warn_unfinished: bool = True) -> Generator[Record]:
    """A JSON array of objects, streamed; a file starting with ``{`` is read as JSON lines,
    unless it is one JSON object over several lines (pretty-printed), which is an error."""
    with _open(path) as f:
        chunk = f.read(4096)
        while chunk.isspace():
            chunk = f.read(4096)
    if not chunk.lstrip().startswith(b"["):
        if chunk.lstrip().startswith(b"{") and _one_object_over_lines(path):
            reason = (
                "not a JSON array: the file is one JSON object spread over several lines; give "
                "the rows as a JSON array ([{...}, {...}]) or as JSON lines (one object a line)"
            )
            yield BadRecord(f"{fp}:file", str(path), "file", reason, _raw(chunk))
            return
        yield from _jsonl(path, fp, warn_unfinished=warn_unfinished)
        return
    index = 0
    with _open(path) as f:
        items = ijson.items(_SurrogateGuard(cast(IO[bytes], f)), "item", use_float=True)
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except (ijson.JSONError, UnicodeDecodeError, _LoneSurrogate) as err:
                if isinstance(err, _LoneSurrogate):
                    reason = f"{_lone_surrogate_reason(err.escape)}; rest of file unreadable"
                else:
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


def _one_object_over_lines(path: Path) -> bool:
    """Whether the file is a single JSON value that spans lines (its first line is not JSON),
    checked by streaming it, so a large pretty-printed file costs no memory."""
    with _open(path) as f:
        first = f.readline()
        if first.startswith(codecs.BOM_UTF8):
            first = first[len(codecs.BOM_UTF8) :]
        try:
            _DECODER.decode(first)
            return False  # a whole JSON value on the first line: JSON lines
        except msgspec.DecodeError:
            pass
    with _open(path) as f:
        try:
            for _ in ijson.parse(f):  # raises at anything after the first value
                pass
        except (ijson.JSONError, UnicodeDecodeError):
            return False
    return True


def _csv(path: Path, fp: str) -> Generator[Record]:
    """A CSV file's records under its header line, each named by the line it starts on.

    Bytes that are not UTF-8 make their record bad and no other (the text is decoded with
    ``surrogateescape`` and each record checked); a malformed record (text after a closing
    quote) is bad and reading goes on at the next line. A header that repeats a name, and a
    quote never closed (which would swallow the rest of the file into one field), are bad
    records that end the file, naming the line.
    """
    csv.field_size_limit(2**31 - 1)  # long documents are the norm in LLM data
    with (
        _open(path) as binary,
        io.TextIOWrapper(cast(IO[bytes], binary), "utf-8-sig", errors=_CSV_ERRORS, newline="") as f,
    ):
        clean = _undecodable[0]  # records are checked for bad bytes only once some were met
        reader = csv.reader(f, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as err:
            yield _csv_file_error(path, fp, 1, reader.line_num, f"unreadable header: {err}")
            return
        if header is None:
            return
        if _undecodable[0] != clean and any(_NOT_UTF8.search(name) for name in header):
            yield _csv_file_error(path, fp, 1, 1, "the header is not valid UTF-8")
            return
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            names = ", ".join(map(repr, duplicates))
            reason = f"duplicate column names in the header: {names}"
            yield _csv_file_error(path, fp, 1, reader.line_num, reason)
            return
        index = 0
        while True:
            first = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                if "unexpected end of data" in str(err):  # EOF inside a quoted field
                    reason = (
                        "unterminated quote: a quoted field opened in the record starting here "
                        f"is never closed, so lines {first}-{reader.line_num} (the rest of the "
                        "file) are unreadable"
                    )
                    yield _csv_file_error(path, fp, first, first, reason)
                    return
                where = _csv_lines(first, reader.line_num)
                yield BadRecord(f"{fp}:{index}", str(path), where, f"malformed CSV: {err}", "")
                index += 1
                continue
            if not values:
                continue
            if _undecodable[0] != clean and any(_NOT_UTF8.search(v) for v in values):
                reason = f"not valid UTF-8 (byte {_first_bad_byte(values)})"
            elif len(values) == len(header):
                yield f"{fp}:{index}", dict(zip(header, values, strict=True))
                index += 1
                continue
            else:
                reason = f"expected {len(header)} fields (header), got {len(values)}"
            where = _csv_lines(first, reader.line_num)
            yield BadRecord(f"{fp}:{index}", str(path), where, reason, _csv_line(values))
            index += 1


_undecodable = [0]
"""How many runs of bytes that are not UTF-8 the CSV decoder has met (in any thread): a reader
whose count has not moved since it opened its file skips checking each record for them."""
_CSV_ERRORS = "streamflow.csv-surrogateescape"
_surrogateescape = codecs.lookup_error("surrogateescape")


def _count_undecodable(err: UnicodeError) -> tuple[str | bytes, int]:
    _undecodable[0] += 1
    return _surrogateescape(err)


codecs.register_error(_CSV_ERRORS, _count_undecodable)


def _csv_file_error(path: Path, fp: str, first: int, last: int, reason: str) -> BadRecord:
    return BadRecord(f"{fp}:file", str(path), _csv_lines(first, last), reason, "")


def _csv_lines(first: int, last: int) -> str:
    return f"line {first}" if last <= first else f"lines {first}-{last}"


def _first_bad_byte(values: list[str]) -> str:
    for value in values:
        if match := _NOT_UTF8.search(value):
            return f"0x{ord(match.group()) - 0xDC00:02x}"
    return "?"


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
    text = out.getvalue().rstrip("\r\n")  # undecodable bytes shown as U+FFFD
    return _raw(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
