"""WARC and ARC files (plain or gzipped): the HTML pages a crawl fetched, one row per page.

A row is ``{path, url, date, record_id, html}``: the file, the record's ``WARC-Target-URI``,
``WARC-Date`` (as written in the file) and ``WARC-Record-ID``, and the HTTP body decoded to text
(transfer and content encodings undone; the charset of the HTTP ``Content-Type`` first, then what
:func:`~streamflow.io.sources.decode_html` finds in the page). ARC records are read as WARC
``response`` records: their date becomes ISO 8601 and, ARC having no record ids, ``record_id`` is
a UUID derived from the record's header line, so it is the same on every run.

Only pages become rows: ``response`` records with HTTP status 200 whose ``Content-Type`` is
``text/html`` or ``application/xhtml+xml`` (or missing, when the body starts like HTML). Every other
record -- warcinfo, request, metadata, revisit, resource, a redirect, a 404, an image -- is skipped
silently: it is part of a well-formed crawl, not a document and not an error.

**Positions.** A row's id is ``fingerprint:offset``, the byte offset of its record in the file (of
its gzip member in a ``.warc.gz``), so ids are stable across runs and a resumed read seeks straight
past the last committed record. A gzip file that is not compressed record by record (the whole
file in one gzip member, which warcio's iterator refuses) is read as one stream, its offsets
counted in the uncompressed data, and a resumed read decompresses up to the checkpoint.

**Broken files.** warcio reads the records, but the framing is done here, because warcio's own
iterator ends a truncated file without a word and skips corrupt gzip data with a line on stderr.
A record that cannot be read -- truncated, bad headers, a wrong ``Content-Length``, a corrupt gzip
member, bytes between records -- becomes a :class:`~streamflow.io.sources.BadRecord` naming the
byte offset where it starts. Reading then resumes at the next offset where a record parses (a gzip
member, or a ``WARC/1.x`` or ARC header line), and the reason says which bytes were skipped;
when no record follows, or a single-stream gzip breaks, the reason says that the rest of the file
from that offset is unreadable. Nothing is ever dropped in silence.

Everything streams: a record's body is read only when it is a page, other records are read past
in blocks, and a bad region is scanned in blocks.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import uuid
import zlib
from collections.abc import Callable, Generator
from pathlib import Path
from typing import IO, Any

from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from streamflow.io.html import decode_html
from streamflow.io.records import BadRecord, Record
from streamflow.rows import Row

_Binary = IO[bytes] | gzip.GzipFile

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_GZIP_MAGIC = b"\x1f\x8b\x08"
_BLOCK = 1 << 16
_MAX_LINE = 1 << 20  # a header line longer than this is not a header line
_SNIFF = 1024
_SCAN_OVERLAP = 8192  # longer than any record start the scan looks for
# Where a record may start: a WARC version line, or an ARC v1 header line (URL IP date type length).
_WARC_LINE = rb"WARC/(?:1\.[01]|0\.1[78])\r?$"
_ARC_LINE = (
    rb"[A-Za-z][A-Za-z0-9+.-]{0,30}:[^\r\n]{1,4096}? \S{1,64} \d{12,14} \S{1,256} \d{1,19}\r?$"
)
_ARC_START = re.compile(_ARC_LINE)
_RECORD_START = re.compile(rb"(?m)^(?:" + _WARC_LINE + rb"|" + _ARC_LINE + rb")")
_TRUNCATED_HEADERS = "truncated: the file ends inside the record's headers"
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.I)


class _Unreadable(Exception):
    """The bytes at an offset are not a whole, well-formed record."""


class _Truncated(_Unreadable):
    """The file ends inside a record: nothing can follow it."""


class _WholeFileGzip(Exception):
    """The first gzip member holds more than one record: read the file as one stream."""


_PARSE_ERRORS = (
    _Unreadable,
    ArchiveLoadFailed,
    StatusAndHeadersParserException,
    EOFError,
    ValueError,
    zlib.error,
)


def warc_records(
    path: Path,
    fp: str,
    after: int | None = None,
    *,
    html_field: str = "html",
    path_field: str = "path",
) -> Generator[Record]:
    """The pages of one WARC/ARC file, as ``(id, row)`` or :class:`BadRecord`.

    ``after`` is the offset of the last record consumed (from a checkpoint): reading starts
    right after that record.
    """
    reader = _Reader(path, fp, html_field, path_field)
    with open(path, "rb") as raw:
        if raw.read(len(_GZIP_MAGIC)) != _GZIP_MAGIC:
            raw.seek(0)
            yield from reader.stream(raw, after, resync=True)
            return
        if not after or reader.one_record_per_member(raw):
            try:
                yield from reader.members(raw, after)
                return
            except _WholeFileGzip:
                pass  # raised before any record of the file was yielded
        raw.seek(0)
        with gzip.GzipFile(fileobj=raw) as unzipped:
            yield from reader.stream(unzipped, after, resync=False)


class _Reader:
    def __init__(self, path: Path, fp: str, html_field: str, path_field: str) -> None:
        self.path, self.fp = path, fp
        self.html_field, self.path_field = html_field, path_field
        self.loader = ArcWarcRecordLoader(verify_http=False, arc2warc=True)

    # --- a plain file, or a gzip file read as one stream ----------------------------------------

    def stream(self, f: _Binary, after: int | None, *, resync: bool) -> Generator[Record]:
        """Records of an uncompressed stream, offsets counted in it.

        With ``resync`` a bad record is skipped up to the next offset where a record parses;
        without (a gzip stream, where finding the next record means decompressing everything
        before it anyway), the first one that breaks the stream ends the file.
        """
        lines = _Lines(f)
        try:
            if after is None:
                line = lines.readline()
            else:
                lines.seek(after)
                try:
                    _, line = self._record_at(lines, lines.readline())
                except _PARSE_ERRORS:  # a bad region was consumed: resync as the first run did
                    line = self._resync_stream(lines, after + 1) if resync else b""
            while True:
                while line and not line.strip():
                    line = lines.readline()
                if not line:
                    return
                start = lines.tell() - len(line)
                try:
                    row, line = self._record_at(lines, line)
                except _PARSE_ERRORS as err:
                    problem = _describe(err, compressed=not resync)
                    if not resync or isinstance(err, _Truncated):
                        yield self._rest_unreadable(start, problem, "", compressed=not resync)
                        return
                    resumed = self._next_stream_record(lines, start + 1)
                    if resumed is None:
                        yield self._rest_unreadable(start, problem, _text(line))
                        return
                    yield self._skipped(start, resumed, problem, _text(line))
                    lines.seek(resumed)
                    line = lines.readline()
                    continue
                if row is not None:
                    yield f"{self.fp}:{start}", row
        except (OSError, EOFError, zlib.error) as err:  # a gzip stream that breaks off
            if resync:
                raise
            yield self._rest_unreadable(lines.tell(), _describe(err), "", compressed=True)

    def _record_at(self, lines: _Lines, line: bytes) -> tuple[Row | None, bytes]:
        """Read the record whose first line is ``line``; return its row (if it is a page) and
        the line after it, which must be blank unless an ARC record follows at once."""
        row, arc = self._read(lines, line)
        line = lines.readline()
        # WARC records end in two blank lines, ARC records in one or none.
        if line.strip() and not (arc and _ARC_START.match(line)):
            raise _Unreadable("no blank line after the record: a wrong Content-Length?")
        return row, line

    def _resync_stream(self, lines: _Lines, start: int) -> bytes:
        resumed = self._next_stream_record(lines, start)
        if resumed is None:
            return b""
        lines.seek(resumed)
        return lines.readline()

    def _next_stream_record(self, lines: _Lines, start: int) -> int | None:
        """The first offset from ``start`` where a record's headers parse, or None."""

        def parses(offset: int) -> bool:
            lines.seek(offset)
            with contextlib.suppress(*_PARSE_ERRORS):
                self._parse(lines, lines.readline())
                return True
            return False

        return _scan(lines.f, start, _RECORD_START, parses)

    # --- a gzip file, one record per member ------------------------------------------------------

    def one_record_per_member(self, raw: IO[bytes]) -> bool:
        """Whether the file's first gzip member holds one record (as a .warc.gz should)."""
        try:
            self._member(raw, 0)
        except _WholeFileGzip:
            return False
        except _PARSE_ERRORS:
            pass  # a broken first member: read member by member, which reports it
        return True

    def members(self, raw: IO[bytes], after: int | None) -> Generator[Record]:
        """Records of a gzip file compressed record by record, at their members' offsets."""
        pos = 0
        if after is not None:
            try:
                _, pos = self._member(raw, after)
            except _PARSE_ERRORS:  # a bad region was consumed: resync as the first run did
                resumed = self._next_member(raw, after + 1)
                if resumed is None:
                    return
                pos = resumed
        while True:
            raw.seek(pos)
            head = raw.read(len(_GZIP_MAGIC))
            if not head:
                return
            try:
                if head != _GZIP_MAGIC:
                    raise _Unreadable("not a gzip member (bytes between records)")
                row, pos_after = self._member(raw, pos)
            except _PARSE_ERRORS as err:
                problem = _describe(err)
                resumed = self._next_member(raw, pos + 1)
                if resumed is None:
                    if not _has_data(raw, pos):
                        return  # padding at the end of the file is not a record
                    yield self._rest_unreadable(pos, problem, "")
                    return
                yield self._skipped(pos, resumed, problem, "")
                pos = resumed
                continue
            if row is not None:
                yield f"{self.fp}:{pos}", row
            pos = pos_after

    def _member(self, raw: IO[bytes], pos: int) -> tuple[Row | None, int]:
        """The row of the record in the gzip member at ``pos``, and the offset after the member."""
        member = _Member(raw, pos)
        lines = _Lines(io.BufferedReader(member, _BLOCK))
        line = lines.readline()
        while line and not line.strip():
            line = lines.readline()
        if not line:
            raise _Unreadable("empty gzip member")
        row, _ = self._read(lines, line)
        line = lines.readline()
        while line and not line.strip():
            line = lines.readline()
        if line:  # checked before reading on, which fails if a single-stream gzip is truncated
            if pos == 0 and _RECORD_START.match(line):
                raise _WholeFileGzip()
            raise _Unreadable(
                "more data after the record in its gzip member (a wrong Content-Length, or "
                "a file not compressed record by record: `warcio recompress` fixes that)"
            )
        return row, member.end

    def _next_member(self, raw: IO[bytes], start: int) -> int | None:
        """The first offset from ``start`` where a gzip member holding a record starts."""

        def parses(offset: int) -> bool:
            with contextlib.suppress(*_PARSE_ERRORS):
                lines = _Lines(io.BufferedReader(_Member(raw, offset), _BLOCK))
                line = lines.readline()
                while line and not line.strip():
                    line = lines.readline()
                self._parse(lines, line)
                return True
            return False

        return _scan(raw, start, re.compile(re.escape(_GZIP_MAGIC)), parses)

    # --- one record ------------------------------------------------------------------------------

    def _parse(self, lines: _Lines, line: bytes) -> tuple[ArcWarcRecord, bool]:
        """The record whose first line is ``line``, its headers read, and whether it is ARC."""
        arc = not line.startswith(b"WARC/")
        if arc and not _ARC_START.match(line):  # warcio takes any line of 5 words for ARC
            raise _Unreadable(f"not a WARC or ARC record: {_text(line.strip())[:100]!r}")
        lines.ended = False
        try:
            record = self.loader.parse_record_stream(lines, line)
        except (AttributeError, TypeError, KeyError, IndexError) as err:  # warcio's, on odd headers
            if lines.ended:
                raise _Truncated(_TRUNCATED_HEADERS) from err
            raise _Unreadable(f"malformed record headers ({type(err).__name__}: {err})") from err
        except _PARSE_ERRORS:
            if lines.ended:
                raise _Truncated(_TRUNCATED_HEADERS) from None
            raise
        if lines.ended:
            raise _Truncated(_TRUNCATED_HEADERS)
        length = record.rec_headers.get_header("Content-Length")
        valid = length is not None and length.strip().isdigit()
        if not valid or not isinstance(record.raw_stream, LimitReader):
            raise _Unreadable(f"no valid Content-Length ({length!r})")
        return record, arc

    def _read(self, lines: _Lines, line: bytes) -> tuple[Row | None, bool]:
        """Parse the record whose first line is ``line`` and read it to its end.

        Returns its row (None when it is not a page) and whether it is an ARC record.
        """
        record, arc = self._parse(lines, line)
        row = self._row(record, line, arc)
        while record.raw_stream.read(_BLOCK):
            pass
        if record.raw_stream.limit > 0:
            short = record.raw_stream.limit
            raise _Truncated(f"truncated: {short} bytes short of its Content-Length")
        return row, arc

    def _row(self, record: ArcWarcRecord, line: bytes, arc: bool) -> Row | None:
        http = record.http_headers
        if record.rec_type != "response" or http is None or http.get_statuscode() != "200":
            return None
        content_type = http.get_header("Content-Type")
        charset = None
        if content_type:
            if content_type.split(";", 1)[0].strip().lower() not in HTML_TYPES:
                return None
            if match := _CHARSET.search(content_type):
                charset = match.group(1)
        body = record.content_stream()
        data = body.read(_SNIFF)
        if not content_type and not _HTML_START.search(data):
            return None
        chunks = [data]
        while chunk := body.read(_BLOCK):
            chunks.append(chunk)
        headers = record.rec_headers
        if arc:
            record_id = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, _text(line.strip()))}>"
        else:
            record_id = headers.get_header("WARC-Record-ID")
        return {
            self.path_field: str(self.path),
            "url": headers.get_header("WARC-Target-URI"),
            "date": headers.get_header("WARC-Date"),
            "record_id": record_id,
            self.html_field: decode_html(b"".join(chunks), charset),
        }

    # --- bad records -----------------------------------------------------------------------------

    def _skipped(self, start: int, resumed: int, problem: str, raw: str) -> BadRecord:
        reason = f"{problem}; bytes {start}..{resumed} skipped, reading resumed at offset {resumed}"
        return BadRecord(f"{self.fp}:{start}", str(self.path), f"byte offset {start}", reason, raw)

    def _rest_unreadable(
        self, start: int, problem: str, raw: str, *, compressed: bool = False
    ) -> BadRecord:
        unit = "uncompressed byte offset" if compressed else "byte offset"
        reason = f"{problem}; the rest of the file from {unit} {start} is unreadable"
        return BadRecord(f"{self.fp}:{start}", str(self.path), f"{unit} {start}", reason, raw)


class _Lines:
    """A byte stream for warcio's parser: reads, and line reads capped at ``_MAX_LINE``.

    ``ended`` turns true when a line read meets the end of the file (warcio takes the end of
    the file for the end of a record's headers, which is how a truncated header block is told).
    """

    def __init__(self, f: _Binary | io.BufferedReader) -> None:
        self.f = f
        self.ended = False

    def read(self, size: int | None = -1) -> bytes:
        return self.f.read(-1 if size is None else size)

    def readline(self, size: int | None = None) -> bytes:
        limit = _MAX_LINE if size is None or size < 0 else min(size, _MAX_LINE)
        line = self.f.readline(limit)
        if len(line) < limit and not line.endswith(b"\n"):
            self.ended = True
        return line

    def tell(self) -> int:
        return self.f.tell()

    def seek(self, offset: int) -> None:
        self.f.seek(offset)


class _Member(io.RawIOBase):
    """The gzip member that starts at ``start`` in ``raw``, decompressed as it is read.

    ``end`` is the offset right after it once it is read to its end. A file that ends inside the
    member raises :class:`_Truncated`, corrupt data ``zlib.error``.
    """

    def __init__(self, raw: IO[bytes], start: int) -> None:
        super().__init__()
        raw.seek(start)
        self._raw, self._start = raw, start
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._out = b""
        self._read = 0  # compressed bytes read from raw

    @property
    def end(self) -> int:
        return self._start + self._read - len(self._z.unused_data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            if self._z.eof:
                return 0
            data = self._z.unconsumed_tail
            if not data:
                data = self._raw.read(_BLOCK)
                if not data:
                    raise _Truncated("truncated gzip member: the file ends inside it")
                self._read += len(data)
            self._out = self._z.decompress(data, _BLOCK)
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def _scan(
    f: _Binary | io.BufferedReader,
    start: int,
    pattern: re.Pattern[bytes],
    parses: Callable[[int], bool],
) -> int | None:
    """The first offset from ``start`` where ``pattern`` matches and ``parses`` agrees."""
    base = start
    while True:
        f.seek(base)
        data = f.read(_BLOCK * 16)
        if not data:
            return None
        final = len(data) < _BLOCK * 16
        limit = len(data) if final else len(data) - _SCAN_OVERLAP
        for match in pattern.finditer(data, 0, len(data)):
            if match.start() >= limit:
                break
            if parses(base + match.start()):  # moves the file; this block is in memory
                return base + match.start()
        if final:
            return None
        base += limit


def _has_data(raw: IO[bytes], start: int) -> bool:
    """Whether anything but NUL bytes and whitespace lies from ``start`` to the end of the file."""
    raw.seek(start)
    while block := raw.read(_BLOCK):
        if block.strip(b"\0 \t\r\n"):
            return True
    return False


def _describe(err: Exception, *, compressed: bool = True) -> str:
    if isinstance(err, _Unreadable):
        return str(err)
    if isinstance(err, zlib.error | gzip.BadGzipFile):
        return f"corrupt gzip data ({err})"
    if isinstance(err, EOFError):
        if not compressed:
            return f"truncated: the file ends inside a record{f' ({err})' if str(err) else ''}"
        return f"truncated gzip data ({err or 'the file ends inside a gzip member'})"
    text = " ".join(str(err).split())
    return f"not a WARC/ARC record ({text[:200]})"


def _text(data: bytes) -> str:
    return data[:1000].decode("utf-8", errors="replace")
