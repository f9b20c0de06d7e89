"""WARC/ARC sources: pages only, charsets, encodings, ARC, broken files, resume, streaming."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

import pytest
from helpers import read_jsonl
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

from streamflow import Generator
from streamflow.errors import BadRecordError, SourceError
from streamflow.io.identity import input_ids
from streamflow.io.sources import BadRecord, FileSource, format_of
from streamflow.operators.web import HtmlTextExtractor

DATE = "2024-05-01T12:00:00Z"
ARTICLE = """<html><head><title>Big news</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article><h1>Big news {n}</h1>
<p>Streaming pipelines prepare training data for language models one batch at a time, so the
memory they need stays bounded however large the web crawl is. This is article number {n}.</p>
<p>Every page of a crawl is a response record in a WARC file, next to the requests, the robots
files, the images and the redirects that the crawler met on its way.</p></article>
<footer>Copyright 2024 Example Corp, all rights reserved</footer></body></html>"""

Make = Callable[[WARCWriter], ArcWarcRecord]


def file_id(path: Path) -> str:
    """The id a source gives ``path`` (from its content: streamflow.io.identity)."""
    return input_ids([path.resolve()])[path.resolve()]


def url(n: int | str) -> str:
    return f"https://example.org/page/{n}"


def record_id(n: int | str) -> str:
    return f"<urn:test:record-{n}>"


def http(
    body: bytes,
    status: str = "200 OK",
    content_type: str | None = "text/html; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> bytes:
    lines = [f"HTTP/1.1 {status}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{k}: {v}" for k, v in headers]
    if not any(k.lower() == "transfer-encoding" for k, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def record(kind: str, n: int | str, payload: bytes, *, uri: str | None = None) -> Make:
    def make(writer: WARCWriter) -> ArcWarcRecord:
        headers = {"WARC-Date": DATE, "WARC-Record-ID": record_id(n)}
        if kind == "metadata":
            headers["Content-Type"] = "application/warc-fields"
        return writer.create_warc_record(
            uri if uri is not None else url(n),
            kind,
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_headers_dict=headers,
        )

    return make


def page(n: int, html: str | bytes | None = None, **http_options: object) -> Make:
    body = html if isinstance(html, bytes) else (html or ARTICLE.format(n=n)).encode()
    return record("response", n, http(body, **http_options))


def warcinfo() -> Make:
    return lambda writer: writer.create_warcinfo_record("crawl.warc", {"software": "tests"})


def request(n: int) -> Make:
    return record("request", n, f"GET /page/{n} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode())


def write_warc(path: Path, *parts: Make | bytes, gz: bool | None = None) -> list[int]:
    """Write records (and raw bytes, for broken files); returns each record's offset."""
    offsets = []
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=path.name.endswith(".gz") if gz is None else gz)
        for part in parts:
            if isinstance(part, bytes):
                f.write(part)
            else:
                offsets.append(f.tell())
                writer.write_record(part(writer))
    return offsets


def crawl(n: int = 3) -> list[Make]:
    """A crawl's usual mix around ``n`` pages: only the pages are rows."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    return [
        warcinfo(),
        *(make for k in range(n) for make in (request(k), page(k))),
        record("response", "png", http(png, content_type="image/png"), uri=url("logo.png")),
        page(404, "<html><body>Not found</body></html>", status="404 Not Found"),
        page(
            301, "<html><body>Moved</body></html>", status="301 Moved", headers=[("Location", "/")]
        ),
        record("metadata", "meta", b"outlink: https://example.org/\r\n"),
        record("response", "robots", http(b"User-agent: *\n", content_type="text/plain")),
    ]


def read_all(
    source: FileSource, batch_size: int = 1000, after: dict[str, int] | None = None
) -> tuple[list[str], list[dict], list[BadRecord]]:
    ids, rows, bad = [], [], []
    for batch, bad_records in source.iter_batches(batch_size, after=after):
        ids += batch.ids
        rows += batch.rows
        bad += bad_records
    return ids, rows, bad


def offsets_of(ids: list[str]) -> list[int]:
    return [int(i.rsplit(":", 1)[1]) for i in ids]


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz", "a.arc", "a.ARC.GZ", "a.WARC"])
def test_warc_suffixes(name: str) -> None:
    assert format_of(Path(name)) == "warc"


def test_warc_zst_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.warc.zst").write_bytes(b"")
    with pytest.raises(SourceError, match=r"a\.warc\.zst.*not \.zst"):
        FileSource(tmp_path / "a.warc.zst").files  # noqa: B018


# --- What becomes a row -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_only_html_pages_with_status_200_are_rows(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    offsets = write_warc(path, *crawl(3))
    ids, rows, bad = read_all(FileSource(path))
    assert bad == []
    assert rows == [
        {
            "path": str(path.resolve()),
            "url": url(k),
            "date": DATE,
            "record_id": record_id(k),
            "html": ARTICLE.format(n=k),
        }
        for k in range(3)
    ]
    # ids: the file's fingerprint and each record's offset, as warcio's own index gives it
    fp = file_id(path)
    page_offsets = [offsets[2], offsets[4], offsets[6]]
    assert ids == [f"{fp}:{o}" for o in page_offsets]
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f)
        warcio_offsets = [
            iterator.get_record_offset()
            for r in iterator
            if r.rec_type == "response" and r.rec_headers["WARC-Target-URI"] in map(url, range(3))
        ]
    assert warcio_offsets == page_offsets
    assert FileSource(path).fields() == ["path", "url", "date", "record_id", "html"]


def test_field_names_follow_the_source_options(tmp_path: Path) -> None:
    path = tmp_path / "a.warc"
    write_warc(path, page(1))
    _, [row], _ = read_all(FileSource(path, html_field="page", path_field="file"))
    assert set(row) == {"file", "url", "date", "record_id", "page"}


def test_content_types(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    html = b"<!DOCTYPE html><html><body><p>no type</p></body></html>"
    write_warc(
        path,
        page(1, content_type="application/xhtml+xml"),
        page(2, content_type="TEXT/HTML"),
        page(3, html, content_type=None),  # no Content-Type, but plainly HTML: kept
        page(4, b'{"not": "html"}', content_type=None),  # no Content-Type, not HTML: skipped
        page(5, content_type="application/json"),
        page(6, b"", content_type="text/html"),  # an empty page is still a page
    )
    _, rows, bad = read_all(FileSource(path))
    assert bad == []
    assert [r["url"] for r in rows] == [url(1), url(2), url(3), url(6)]
    assert rows[2]["html"] == html.decode() and rows[3]["html"] == ""


def test_charset_declared_only_in_the_http_header(tmp_path: Path) -> None:
    text = "<html><body><p>Съешь же ещё этих мягких французских булок</p></body></html>"
    latin = "<html><body><p>Grüße aus Köln, für alle</p></body></html>"
    path = tmp_path / "a.warc"
    write_warc(
        path,
        page(1, text.encode("koi8-r"), content_type='text/html; charset="KOI8-R"'),
        page(2, text.encode("windows-1251"), content_type="text/html;charset=windows-1251"),
        # header says UTF-8, bytes are not: the header is ignored, like a lying <meta>
        page(3, latin.encode("latin-1"), content_type="text/html; charset=utf-8"),
        page(4, latin.encode("latin-1"), content_type="text/html; charset=no-such-codec"),
        page(6, latin.encode("latin-1"), content_type="text/html; charset=nul\x00"),
        # a BOM outranks the header
        page(5, b"\xef\xbb\xbf" + text.encode(), content_type="text/html; charset=koi8-r"),
    )
    _, rows, _ = read_all(FileSource(path))
    assert [r["html"] for r in rows] == [text, text, latin, latin, latin, text]


def test_transfer_and_content_encodings_are_undone(tmp_path: Path) -> None:
    html = ARTICLE.format(n=7).encode()
    zipped = gzip.compress(html)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (zipped[:100], zipped[100:]))
    chunked += b"0\r\n\r\n"
    path = tmp_path / "a.warc.gz"
    write_warc(
        path,
        record("response", 1, http(zipped, headers=[("Content-Encoding", "gzip")])),
        record(
            "response",
            2,
            http(chunked, headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]),
        ),
    )
    _, rows, bad = read_all(FileSource(path))
    assert bad == [] and [r["html"] for r in rows] == [html.decode()] * 2


# --- ARC ----------------------------------------------------------------------------------------


def arc_record(line: str, content: bytes) -> bytes:
    return f"{line} {len(content)}\n".encode() + content + b"\n"


def write_arc(path: Path, pages: list[tuple[str, bytes]], *, gz: bool) -> None:
    """An ARC v1 file, by hand: a filedesc record, then one record per page."""
    spec = b"1 0 Tests\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [arc_record("filedesc://crawl.arc 0.0.0.0 20240501120000 text/plain", spec)]
    for i, (page_url, payload) in enumerate(pages):
        records.append(
            arc_record(f"{page_url} 93.184.216.34 2024050112{i:02d}00 text/html", payload)
        )
    with open(path, "wb") as f:
        for rec in records:
            f.write(gzip.compress(rec, mtime=0) if gz else rec)


@pytest.mark.parametrize("name", ["crawl.arc", "crawl.arc.gz"])
def test_arc_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    png = http(b"\x89PNG...", content_type="image/png")
    pages = [(url(1), http(ARTICLE.format(n=1).encode())), (url("png"), png)]
    pages += [(url(2), http(ARTICLE.format(n=2).encode())), (url(3), http(b"x", status="404 No"))]
    write_arc(path, pages, gz=name.endswith(".gz"))
    ids, rows, bad = read_all(FileSource(path))
    assert bad == []
    assert [(r["url"], r["date"]) for r in rows] == [
        (url(1), "2024-05-01T12:00:00Z"),
        (url(2), "2024-05-01T12:02:00Z"),
    ]
    assert [r["html"] for r in rows] == [ARTICLE.format(n=1), ARTICLE.format(n=2)]
    # ARC has no record ids: one derived from the record's header line, the same every time
    assert all(r["record_id"].startswith("<urn:uuid:") for r in rows)
    assert read_all(FileSource(path)) == (ids, rows, [])
    assert len({r["record_id"] for r in rows}) == 2


# --- Broken files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_truncated_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    offsets = write_warc(path, page(0), page(1), page(2))
    path.write_bytes(path.read_bytes()[:-60])
    with pytest.raises(BadRecordError, match=rf"{name}: byte offset {offsets[2]}: .*truncated"):
        read_all(FileSource(path))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["url"] for r in rows] == [url(0), url(1)]
    [letter] = bad
    assert letter.path == str(path.resolve()) and letter.where == f"byte offset {offsets[2]}"
    assert "truncated" in letter.reason
    assert f"the rest of the file from byte offset {offsets[2]} is unreadable" in letter.reason


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_garbage_between_records_is_reported_and_skipped(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    garbage = b"\x00\xffthis is not a record\r\nWARC/1.0 nor is this\r\n" * 50
    offsets = write_warc(path, page(0), page(1), garbage, page(2), page(3))
    at = offsets[2] - len(garbage)
    with pytest.raises(BadRecordError, match=rf"{name}: byte offset {at}: "):
        read_all(FileSource(path))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["url"] for r in rows] == [url(k) for k in range(4)]
    [letter] = bad
    assert letter.where == f"byte offset {at}"
    assert f"reading resumed at offset {offsets[2]}" in letter.reason


def test_corrupt_gzip_member_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    offsets = write_warc(path, page(0), page(1), page(2), page(3))
    data = bytearray(path.read_bytes())
    middle = (offsets[1] + offsets[2]) // 2
    data[middle : middle + 16] = b"\xa5" * 16
    path.write_bytes(bytes(data))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["url"] for r in rows] == [url(0), url(2), url(3)]
    [letter] = bad
    assert letter.where == f"byte offset {offsets[1]}" and "gzip" in letter.reason
    assert f"bytes {offsets[1]}..{offsets[2]} skipped" in letter.reason


def test_wrong_content_length_loses_only_that_record(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    offsets = write_warc(path, page(0), page(1), page(2))
    data = path.read_bytes()
    header = data.index(b"Content-Length: ", offsets[1])
    end = data.index(b"\r\n", header)
    length = int(data[header + 16 : end])
    path.write_bytes(data[: header + 16] + str(length - 40).encode() + data[end:])
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["url"] for r in rows] == [url(0), url(2)]
    [letter] = bad
    assert letter.where == f"byte offset {offsets[1]}" and "Content-Length" in letter.reason


def test_padding_after_the_last_gzip_member_is_not_a_record(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, page(0), page(1), b"\0" * 512 + b"\r\n")
    assert [r["url"] for r in read_all(FileSource(path))[1]] == [url(0), url(1)]


def test_a_crawl_without_pages(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, warcinfo(), request(1), page(1, status="500 Oops"))
    assert read_all(FileSource(path)) == ([], [], [])
    assert FileSource(path).fields() is None


@pytest.mark.parametrize(
    "cut", [b"WARC/1.0\r\nWARC-Type: response\r\nContent-Le", b"WARC/1.0\r\nWARC-Ty", b"WARC/1.0"]
)
def test_a_plain_warc_cut_in_its_headers_is_named_truncated(tmp_path: Path, cut: bytes) -> None:
    path = tmp_path / "crawl.warc"
    offsets = write_warc(path, page(0), cut, gz=False)
    _, rows, [letter] = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["url"] for r in rows] == [url(0)]
    after_first = path.stat().st_size - len(cut)
    assert letter.where == f"byte offset {after_first}" and offsets[0] == 0
    assert letter.reason.startswith("truncated: the file ends inside the record's headers")
    assert "gzip" not in letter.reason


def test_a_response_without_a_target_uri_is_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>x</html>"
    head = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: %d\r\n\r\n" % len(body)
    write_warc(path, head + body + b"\r\n\r\n", page(1), gz=False)
    _, rows, [letter] = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["url"] for r in rows] == [url(1)]
    assert letter.where == "byte offset 0" and "malformed record headers" in letter.reason


def test_a_file_that_is_not_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_bytes(b"just some text\nthat is no archive\n")
    _, rows, [letter] = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [] and letter.where == "byte offset 0"
    assert "rest of the file from byte offset 0 is unreadable" in letter.reason
    path.write_bytes(b"")
    assert read_all(FileSource(path)) == ([], [], [])


# --- Whole-file gzip ----------------------------------------------------------------------------


def test_a_warc_gzipped_as_one_stream(tmp_path: Path) -> None:
    plain = tmp_path / "plain.warc"
    offsets = write_warc(plain, *crawl(4))
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    ids, rows, bad = read_all(FileSource(path))
    assert bad == [] and [r["url"] for r in rows] == [url(k) for k in range(4)]
    # offsets are counted in the uncompressed stream: the same as the plain file's
    assert offsets_of(ids) == offsets_of(read_all(FileSource(plain))[0])
    fp = ids[0].rsplit(":", 1)[0]
    again, rest, _ = read_all(FileSource(path), after={fp: offsets_of(ids)[1]})
    assert again == ids[2:] and rest == rows[2:]
    # broken: the rest of the stream is lost, and said so
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _, some, [letter] = read_all(FileSource(path, on_bad_record="skip"))
    assert 0 < len(some) < 4 and some == rows[: len(some)]
    where = int(letter.where.removeprefix("uncompressed byte offset "))
    assert where in offsets and where > offsets_of(ids)[len(some) - 1]
    assert "truncated gzip data" in letter.reason and "is unreadable" in letter.reason


# --- Resume -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_resume_after_a_committed_record(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    garbage = b"garbage between records\r\n" * 3
    write_warc(path, *crawl(3), page(10), garbage, page(11), page(12))
    source = FileSource(path, on_bad_record="skip")
    ids, rows, [letter] = read_all(source)
    assert read_all(source) == (ids, rows, [letter])  # ids are stable
    fp = ids[0].rsplit(":", 1)[0]
    for k, (offset, row_id) in enumerate(zip(offsets_of(ids), ids, strict=True)):
        again, rest, bad = read_all(source, after={fp: offset})
        assert again == ids[k + 1 :] and rest == rows[k + 1 :], row_id
        assert bad == ([letter] if offset < offsets_of([letter.id])[0] else [])
    # resuming right after the bad region goes on with the next record, no new dead letter
    again, rest, bad = read_all(source, after={fp: offsets_of([letter.id])[0]})
    assert [r["url"] for r in rest] == [url(11), url(12)] and bad == []
    # another file's position changes nothing
    assert read_all(source, after={"other": 10**9}) == (ids, rows, [letter])


class Measure(Generator):
    seen: ClassVar[list[str]] = []

    def process(self, rows: list[dict], input_key: str, output_key: str) -> list[dict]:
        Measure.seen += [r["url"] for r in rows]
        return [{**r, output_key: len(r[input_key])} for r in rows]


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_a_growing_warc_is_read_from_the_last_checkpoint(tmp_path: Path, chain, name) -> None:
    """A crawl appends records to its WARC: the next run of the same run dir reads only those."""
    path = tmp_path / name
    write_warc(path, *crawl(3))
    Measure.seen = []
    keys = {"input_key": "html", "output_key": "size"}
    storage = {"entry_file": str(path), "output_file": tmp_path / "o.jsonl", "run_dir": tmp_path}
    chain([(Measure(), keys)], **storage).run(batch_size=2)
    assert Measure.seen == [url(k) for k in range(3)]
    with open(path, "ab") as f:
        writer = WARCWriter(f, gzip=name.endswith(".gz"))
        for make in (request(3), page(3), page(4)):
            writer.write_record(make(writer))
    chain([(Measure(), keys)], **storage).run(batch_size=2)
    assert Measure.seen == [url(k) for k in range(5)]
    assert [r["url"] for r in read_jsonl(tmp_path / "o.jsonl")] == [url(k) for k in range(5)]


# --- Streaming ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["big.warc", "big.warc.gz"])
def test_large_records_are_streamed(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    video = bytes(range(256)) * (24 * 4096)  # 24 MiB, not a page
    write_warc(path, page(0), record("response", 1, http(video, content_type="video/mp4")), page(2))
    tracemalloc.start()
    try:
        _, rows, bad = read_all(FileSource(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert bad == [] and [r["url"] for r in rows] == [url(0), url(2)]
    assert peak < 4 * 2**20, f"peak {peak} bytes while reading a 24 MiB record"


# --- Real pages, and a pipeline -----------------------------------------------------------------


def test_real_web_pages_in_a_warc(tmp_path: Path, shared_data: Path) -> None:
    files = sorted((shared_data / "web-pages").glob("*.htm*"))
    path = tmp_path / "real.warc.gz"
    # as crawled: the HTTP header names no charset, the page's <meta> does (or nothing)
    write_warc(
        path, *(page(i, f.read_bytes(), content_type="text/html") for i, f in enumerate(files))
    )
    _, rows, bad = read_all(FileSource(path), batch_size=16)
    assert bad == [] and len(rows) == len(files) >= 100
    pages = {files[int(r["url"].rsplit("/", 1)[1])].name: r["html"] for r in rows}
    assert [name for name, html in pages.items() if "\ufffd" in html] == []
    assert "für" in pages["cdu-fraktion-erfurt.de.waldorfschule.html"]
    assert "für" in pages["landwirt.com.sensortechnik.html"]


def test_pipeline_extracts_text_from_warc_pages(tmp_path: Path, chain) -> None:
    for k in range(2):
        write_warc(tmp_path / f"seg-{k}.warc.gz", *crawl(3))
    broken = tmp_path / "seg-2.warc.gz"
    write_warc(broken, page(20), page(21))
    broken.write_bytes(broken.read_bytes()[:-30])
    out = tmp_path / "text.jsonl"
    result = chain(
        [(HtmlTextExtractor(), {"input_key": "html", "output_key": "text"})],
        entry_file=str(tmp_path / "*.warc.gz"),
        output_file=out,
        on_bad_record="skip",
    ).run(batch_size=4)
    rows = read_jsonl(out)
    assert [r["url"] for r in rows] == [url(k) for k in (0, 1, 2, 0, 1, 2, 20)]
    assert all(
        r["date"] == DATE and r["record_id"] == record_id(r["url"][-2:].strip("/")) for r in rows
    )
    assert all("This is article number" in r["text"] and "<p>" not in r["text"] for r in rows)
    (letter,) = result.dead_letters.records()
    assert letter.operator == "source" and "seg-2.warc.gz: byte offset" in letter.error
