"""FileSource: every format, compression, bad records, batching, expansion and streaming."""

from __future__ import annotations

import csv
import gzip
import json
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from streamflow.errors import BadRecordError, SourceError
from streamflow.io.identity import input_ids
from streamflow.io.sources import BadRecord, FileSource, UnfinishedLineWarning, jsonl_span

WEB_PAGES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "web-pages"


def file_id(path: Path) -> str:
    """The id a source gives ``path`` (from its content: streamflow.io.identity)."""
    return input_ids([path.resolve()])[path.resolve()]


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, compressed the way its suffix says."""
    if path.suffix == ".gz":
        with gzip.open(path, "ab") as f:
            f.write(data)
    elif path.suffix == ".zst":
        with zstandard.open(path, "ab") as f:
            f.write(data)
    else:
        with open(path, "ab") as f:
            f.write(data)
    return path


def read_all(
    source: FileSource, batch_size: int = 1000
) -> tuple[list[str], list[dict], list[BadRecord]]:
    ids, rows, bad = [], [], []
    for batch, bad_records in source.iter_batches(batch_size):
        ids += batch.ids
        rows += batch.rows
        bad += bad_records
    return ids, rows, bad


def jsonl(*rows: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


# --- JSON lines -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_jsonl_rows_and_byte_offset_ids(tmp_path: Path, suffix: str) -> None:
    path = write_bytes(tmp_path / f"in.jsonl{suffix}", b'{"a": 1}\n\n   \n{"a": "x", "b": [1]}\n')
    ids, rows, bad = read_all(FileSource(path))
    fp = file_id(path)
    assert rows == [{"a": 1}, {"a": "x", "b": [1]}]
    assert ids == [f"{fp}:0", f"{fp}:14"]
    assert bad == []


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_jsonl_ids_stable_when_lines_are_appended(tmp_path: Path, suffix: str) -> None:
    path = write_bytes(tmp_path / f"grow.jsonl{suffix}", jsonl(*({"n": i} for i in range(5))))
    before, _, _ = read_all(FileSource(path))
    write_bytes(path, jsonl(*({"n": i} for i in range(5, 8))))
    after, rows, _ = read_all(FileSource(path))
    assert after[:5] == before
    assert len(set(after)) == 8
    assert [r["n"] for r in rows] == list(range(8))


def test_jsonl_without_final_newline_and_with_bom(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "bom.jsonl", b'\xef\xbb\xbf{"a": 1}\n{"a": 2}')
    _, rows, _ = read_all(FileSource(path))
    assert rows == [{"a": 1}, {"a": 2}]


def test_jsonl_bad_line_raises_naming_file_and_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "bad.jsonl", b'{"a": 1}\n\n{"a": \n')
    with pytest.raises(BadRecordError, match=r"bad\.jsonl: line 3: invalid JSON") as info:
        read_all(FileSource(path))
    assert info.value.where == "line 3"


def test_jsonl_skip_mode_reports_bad_records_and_keeps_good_rows(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "mixed.jsonl", b'{"a": 1}\nnot json\n[1, 2]\n"s"\n{"a": 2}\n')
    ids, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    fp = file_id(path)
    assert rows == [{"a": 1}, {"a": 2}]
    assert [(b.where, b.raw.strip()) for b in bad] == [
        ("line 2", "not json"),
        ("line 3", "[1, 2]"),
        ("line 4", '"s"'),
    ]
    assert "invalid JSON" in bad[0].reason
    assert bad[1].reason == "expected a JSON object, got an array"
    assert bad[2].reason == "expected a JSON object, got a string"
    assert bad[0].id == f"{fp}:9" and bad[0].path == str(path.resolve())
    assert set(ids).isdisjoint(b.id for b in bad)


def test_bad_record_raw_text_is_truncated(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "long.jsonl", b"x" * 50_000 + b"\n")
    _, _, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert 900 <= len(bad[0].raw) <= 1000


def test_truncated_gzip_becomes_a_bad_record(tmp_path: Path) -> None:
    whole = gzip.compress(jsonl(*({"n": i, "pad": "y" * 50} for i in range(2000))))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert 0 < len(rows) < 2000
    assert [b.where for b in bad] == ["file"]
    assert f"after {len(rows)} records" in bad[0].reason
    with pytest.raises(BadRecordError, match=r"cut\.jsonl\.gz: file: unreadable"):
        read_all(FileSource(path))


@pytest.mark.parametrize("rows", [2, 5000])
def test_truncated_zstd_becomes_a_bad_record_naming_truncation(tmp_path: Path, rows: int) -> None:
    whole = zstandard.ZstdCompressor().compress(jsonl(*({"n": i} for i in range(rows))))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(whole[: len(whole) // 2] if rows > 2 else whole[:-4])
    _, read, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert [r["n"] for r in read] == list(range(len(read)))  # what came before the cut
    [letter] = bad
    assert letter.where == "file" and "truncated" in letter.reason
    assert f"after {len(read)} records" in letter.reason
    with pytest.raises(BadRecordError, match=r"cut\.jsonl\.zst: file: .*truncated"):
        read_all(FileSource(path))


def read_warning(source: FileSource, **kw: object) -> tuple[list[dict], list[BadRecord], list]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, rows, bad = read_all(source, **kw)  # type: ignore[arg-type]
    return rows, bad, [w for w in caught if w.category is UnfinishedLineWarning]


def test_jsonl_unfinished_last_line_is_left_unread_with_a_warning(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "grow.jsonl", b'{"n": 0}\n{"n": 1}\n{"n": 2, "t": "hal')
    rows, bad, caught = read_warning(FileSource(path))  # raise mode: not an error either
    assert rows == [{"n": 0}, {"n": 1}] and bad == []
    [warning] = caught
    assert "grow.jsonl: line 3, the last line, has no newline" in str(warning.message)
    assert FileSource(path).fields() == ["n"]  # sampling reads it the same way


def test_jsonl_unfinished_line_is_read_once_finished_and_after_a_checkpoint(
    tmp_path: Path,
) -> None:
    path = write_bytes(tmp_path / "grow.jsonl", b'{"n": 0}\n{"n": 1}\n{"n": 2, "t": "hal')
    with warnings.catch_warnings(record=True):
        ids, _, _ = read_all(FileSource(path))
    fp, offset = ids[-1].rsplit(":", 1)
    write_bytes(path, b'f"}\n{"n": 3}')  # finished, and a complete line without newline
    source = FileSource(path)
    (batch, bad), *rest = list(source.iter_batches(100, after={fp: int(offset)}))
    assert not rest and bad == []
    assert batch.rows == [{"n": 2, "t": "half"}, {"n": 3}]
    assert read_all(source)[0][:2] == ids  # old lines keep their ids


@pytest.mark.parametrize(
    ("tail", "kept"),
    [(b'{"n": 9}', True), (b"[1, 2]", False), (b"12", False), (b"   ", False), (b'"x', False)],
)
def test_jsonl_last_line_without_newline_is_read_only_when_a_whole_object(
    tmp_path: Path, tail: bytes, kept: bool
) -> None:
    path = write_bytes(tmp_path / "t.jsonl", b'{"n": 0}\n' + tail)
    rows, bad, caught = read_warning(FileSource(path, on_bad_record="skip"))
    assert rows == ([{"n": 0}, {"n": 9}] if kept else [{"n": 0}]) and bad == []
    assert len(caught) == (0 if kept or not tail.strip() else 1)


def test_jsonl_spans_cut_anywhere_read_every_line_once_as_the_source_does(
    tmp_path: Path,
) -> None:
    """Three spans cut at every pair of byte positions (inside a line, at a newline, in a blank
    line, in the BOM) give exactly the whole file's records: the same ids, bad records naming
    the same lines, and the unfinished last line left unread with the same warning."""
    data = b'\xef\xbb\xbf{"a": 1}\n\n{"a": 2}\nnot json\n  {"a": 3}\n[1]\n{"a": 4}\n{"a": 5, "b'
    path = write_bytes(tmp_path / "s.jsonl", data)
    source = FileSource(path, on_bad_record="skip")
    fp = source.file_ids[path]
    whole, caught = _records(lambda: source._records(path, 100, {}))
    assert [r.where for r in whole if isinstance(r, BadRecord)] == ["line 4", "line 6"]
    assert len(whole) == 6 and len(caught) == 1
    for a in range(len(data) + 1):
        for b in range(a, len(data) + 1):
            parts = [(0, a), (a, b), (b, None)]
            got, notes = _records(
                lambda parts=parts: (r for s, e in parts for r in jsonl_span(path, fp, s, e))
            )
            assert got == whole, (a, b)
            assert notes == caught, (a, b)


def _records(read: Any) -> tuple[list[Any], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = list(read())
    return records, [str(w.message) for w in caught if w.category is UnfinishedLineWarning]


def test_jsonl_span_refuses_a_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n'))
    with pytest.raises(SourceError, match="compressed file cannot be read in byte ranges"):
        list(jsonl_span(path, "x", 0, None))
    assert not FileSource(path).in_byte_ranges()
    assert FileSource(write_bytes(tmp_path / "p.jsonl", b"{}\n")).in_byte_ranges()


def test_jsonl_lone_surrogate_escape_is_named(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path / "s.jsonl",
        b'{"t": "\\ud83d\\ude00"}\n{"t": "a\\ud800b"}\n{"t": "\\\\ud800"}\n'
        b'{"t": "x\\uDC01"}\n{"t": "\\ud800\\ud800"}\n',
    )
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"t": "\U0001f600"}, {"t": "\\ud800"}]  # a pair; an escaped backslash
    assert [(b.where, b.reason.split(" is ")[0]) for b in bad] == [
        ("line 2", "invalid JSON: \\ud800"),
        ("line 4", "invalid JSON: \\uDC01"),
        ("line 5", "invalid JSON: \\ud800"),
    ]
    assert all("lone surrogate" in b.reason for b in bad)
    with pytest.raises(BadRecordError, match=r"s\.jsonl: line 2: .*lone surrogate"):
        read_all(FileSource(path))


# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_json_array_is_streamed_with_index_ids(tmp_path: Path, suffix: str) -> None:
    data = json.dumps([{"a": 1.5}, {"a": 2, "b": {"c": None}}], indent=2).encode()
    path = write_bytes(tmp_path / f"arr.json{suffix}", b"\n  " + data)
    ids, rows, _ = read_all(FileSource(path))
    fp = file_id(path)
    assert rows == [{"a": 1.5}, {"a": 2, "b": {"c": None}}]
    assert isinstance(rows[0]["a"], float)
    assert ids == [f"{fp}:0", f"{fp}:1"]


def test_json_starting_with_an_object_is_json_lines(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "lines.json", jsonl({"a": 1}, {"a": 2}))
    ids, rows, _ = read_all(FileSource(path))
    assert rows == [{"a": 1}, {"a": 2}]
    assert ids[1].endswith(":9")


def test_json_array_non_object_item_is_named_by_record(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "arr.json", b'[{"a": 1}, 7, {"a": 3}]')
    with pytest.raises(BadRecordError, match=r"arr\.json: record 2: expected a JSON object"):
        read_all(FileSource(path))
    ids, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": 1}, {"a": 3}]
    assert ids[1].endswith(":2")
    assert (bad[0].where, bad[0].raw, bad[0].reason) == (
        "record 2",
        "7",
        "expected a JSON object, got a number",
    )


def test_json_array_syntax_error_stops_the_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "broken.json", b'[{"a": 1}, {"a": ]')
    with pytest.raises(BadRecordError, match=r"broken\.json: record 2: invalid JSON"):
        read_all(FileSource(path))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": 1}]
    assert len(bad) == 1


@pytest.mark.parametrize("lone", ["\\ud800", "\\uDC00"])
def test_json_array_lone_surrogate_is_named_not_turned_into_a_question_mark(
    tmp_path: Path, lone: str
) -> None:
    pairs = [
        {"t": "x" * (i % 37) + "\U0001f600" * (i % 3), "b": "\\" * (i % 4)} for i in range(9000)
    ]
    body = json.dumps(pairs, ensure_ascii=True)  # pairs cut at every chunk offset on the way
    body = body[:-1] + ', {"t": "a' + lone + '"}, {"t": "after"}]'
    path = write_bytes(tmp_path / "s.json", body.encode())
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == pairs
    [letter] = bad
    assert letter.where == "record 9001"
    assert letter.reason.startswith(f"invalid JSON: {lone} is a lone surrogate escape")
    with pytest.raises(BadRecordError, match=r"s\.json: record 9001: .*lone surrogate"):
        read_all(FileSource(path))


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_pretty_printed_json_object_is_one_error_not_a_json_array(
    tmp_path: Path, suffix: str
) -> None:
    body = json.dumps({"text": "a", "more": {"x": [1, 2]}}, indent=2).encode()
    path = write_bytes(tmp_path / f"obj.json{suffix}", body)
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [] and [b.where for b in bad] == ["file"]
    assert "not a JSON array" in bad[0].reason
    with pytest.raises(BadRecordError, match=r"obj\.json(\.gz)?: file: not a JSON array"):
        read_all(FileSource(path))


def test_json_lines_in_a_json_file_with_a_broken_first_line_stay_json_lines(
    tmp_path: Path,
) -> None:
    path = write_bytes(tmp_path / "l.json", b'{"a": \n{"a": 2}\n')
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": 2}] and [b.where for b in bad] == ["line 1"]


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_csv_rows_are_strings_with_row_index_ids(tmp_path: Path, suffix: str) -> None:
    data = b'id,text\n1,"hello, world"\n\n2,"two\nlines"\n'
    path = write_bytes(tmp_path / f"t.csv{suffix}", data)
    ids, rows, _ = read_all(FileSource(path))
    fp = file_id(path)
    assert rows == [{"id": "1", "text": "hello, world"}, {"id": "2", "text": "two\nlines"}]
    assert ids == [f"{fp}:0", f"{fp}:1"]


def test_csv_written_by_the_csv_module_with_long_fields(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["k", "v"])
        writer.writerow(["big", "é" * 300_000])
    _, rows, _ = read_all(FileSource(path))
    assert rows[0]["v"] == "é" * 300_000


def test_csv_wrong_field_count_raises_naming_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "bad.csv", b'a,b\n1,2\n"x\ny",2,3\n4\n5,6\n')
    with pytest.raises(
        BadRecordError, match=r"bad\.csv: lines 3-4: expected 2 fields \(header\), got 3"
    ):
        read_all(FileSource(path))
    ids, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": "1", "b": "2"}, {"a": "5", "b": "6"}]
    assert [(b.where, b.raw) for b in bad] == [("lines 3-4", '"x\ny",2,3'), ("line 5", "4")]
    assert ids[1].endswith(":3") and bad[1].id.endswith(":2")


def test_csv_undecodable_bytes_lose_only_their_record(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path / "latin.csv", b'a,b\nok,1\n\xff\xfe\xfa,2\n"multi\nline \xe9",3\nlast,4\n'
    )
    with pytest.raises(BadRecordError, match=r"latin\.csv: line 3: not valid UTF-8 \(byte 0xff\)"):
        read_all(FileSource(path))
    ids, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": "ok", "b": "1"}, {"a": "last", "b": "4"}]
    assert [(b.where, b.raw) for b in bad] == [
        ("line 3", "\ufffd\ufffd\ufffd,2"),
        ("lines 4-5", '"multi\nline \ufffd",3'),
    ]
    assert [i.rsplit(":", 1)[1] for i in ids] == ["0", "3"]


def test_csv_header_that_is_not_utf8_is_a_bad_record_for_the_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "h.csv", b"caf\xe9,n\nx,1\n")
    with pytest.raises(BadRecordError, match=r"h\.csv: line 1: the header is not valid UTF-8"):
        read_all(FileSource(path))


def test_csv_duplicate_header_names_are_an_error_naming_line_1(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "dup.csv", b"a,b,a,b,c\n1,2,3,4,5\n")
    with pytest.raises(BadRecordError, match=r"dup\.csv: line 1: duplicate .*'a', 'b'$"):
        read_all(FileSource(path))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [] and [b.id.endswith(":file") for b in bad] == [True]


def test_csv_unterminated_quote_names_where_it_opens(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "q.csv", b'a,b\n1,2\n3,"open\n5,6\n7,8\n')
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": "1", "b": "2"}]
    [letter] = bad
    assert letter.where == "line 3" and "unterminated quote" in letter.reason
    assert "lines 3-5" in letter.reason


def test_csv_text_after_a_closing_quote_loses_only_its_record(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "s.csv", b'a,b\n"x"y,1\nz,2\n')
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [{"a": "z", "b": "2"}]
    assert [b.where for b in bad] == ["line 2"] and "malformed CSV" in bad[0].reason


# --- Parquet --------------------------------------------------------------------------------


def test_parquet_written_by_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = pa.table({"n": list(range(10)), "s": [f"r{i}" for i in range(10)]})
    pq.write_table(table, path, row_group_size=4)
    source = FileSource(path)
    batches = [batch for batch, _ in source.iter_batches(3)]
    assert all(len(b) <= 3 for b in batches)
    ids = [i for b in batches for i in b.ids]
    rows = [r for b in batches for r in b.rows]
    fp = file_id(path)
    assert rows == table.to_pylist()
    assert ids == [f"{fp}:{i}" for i in range(10)]
    assert source.fields() == ["n", "s"]


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "junk.parquet", b"not parquet at all")
    with pytest.raises(BadRecordError, match=r"junk\.parquet: file: not a readable parquet"):
        read_all(FileSource(path))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [] and bad[0].where == "file"


def test_compressed_parquet_is_refused(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "t.parquet.gz", b"x")
    with pytest.raises(SourceError, match="parquet compresses internally"):
        _ = FileSource(path).files


# --- Text and HTML --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["doc.txt", "doc.md", "doc.markdown.gz", "doc.txt.zst"])
def test_text_file_is_one_row(tmp_path: Path, name: str) -> None:
    path = write_bytes(tmp_path / name, "# Titel\n\nGrüße\n".encode())
    ids, rows, _ = read_all(FileSource(path, text_field="body", path_field="file"))
    assert rows == [{"file": str(path.resolve()), "body": "# Titel\n\nGrüße\n"}]
    assert ids == [f"{file_id(path)}:0"]


def test_text_file_not_utf8(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "old.txt", "abc Grüße".encode("latin-1"))
    with pytest.raises(BadRecordError, match=r"old\.txt: byte offset 6: not valid UTF-8"):
        read_all(FileSource(path))
    _, rows, bad = read_all(FileSource(path, on_bad_record="skip"))
    assert rows == [] and bad[0].id.endswith(":0") and bad[0].raw.startswith("abc Gr")


def test_html_declared_charset_is_honoured(tmp_path: Path) -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body>Grüße – €</body></html>'
    path = write_bytes(tmp_path / "p.html", page.encode("cp1252"))
    _, rows, _ = read_all(FileSource(path))
    assert rows == [{"path": str(path.resolve()), "html": page}]


def test_real_web_pages_decode_cleanly() -> None:
    if not WEB_PAGES.is_dir():
        pytest.skip("shared web-page corpus not present at <repo>/../shared/data/web-pages")
    source = FileSource(WEB_PAGES)
    _, rows, bad = read_all(source, batch_size=16)
    pages = {Path(r["path"]).name: r["html"] for r in rows}
    assert len(pages) == len(list(WEB_PAGES.glob("*.htm*"))) >= 100
    assert bad == []
    assert [name for name, html in pages.items() if "\ufffd" in html] == []
    # declared ISO-8859-1 in <head>, and one declaring it only after 2 KB of boilerplate
    assert "für" in pages["cdu-fraktion-erfurt.de.waldorfschule.html"]
    assert "für" in pages["landwirt.com.sensortechnik.html"]
    assert all(not html.startswith("\ufeff") for html in pages.values())


# --- Batching, expansion, lifecycle ---------------------------------------------------------


def test_batches_respect_batch_size_across_files(tmp_path: Path) -> None:
    for k in range(3):
        write_bytes(tmp_path / f"part{k}.jsonl", jsonl(*({"k": k, "i": i} for i in range(4))))
    batches = [batch for batch, _ in FileSource(tmp_path).iter_batches(5)]
    assert [len(b) for b in batches] == [5, 5, 2]
    assert [r["k"] for b in batches for r in b.rows] == [0] * 4 + [1] * 4 + [2] * 4


def test_batch_size_one_and_invalid(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "x.jsonl", jsonl({"a": 1}, {"a": 2}))
    assert [len(b) for b, _ in FileSource(path).iter_batches(1)] == [1, 1]
    with pytest.raises(ValueError, match="batch_size"):
        next(FileSource(path).iter_batches(0))


def test_only_bad_records_make_empty_batches(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "junk.jsonl", b"x\n" * 5)
    out = list(FileSource(path, on_bad_record="skip").iter_batches(2))
    assert [(len(b), len(bad)) for b, bad in out] == [(0, 2), (0, 2), (0, 1)]


def _open_paths() -> set[str]:
    return {f.path for f in psutil.Process().open_files()}


@pytest.mark.parametrize("name", ["big.jsonl", "big.jsonl.zst", "big.csv.gz", "big.json"])
def test_closing_the_generator_early_closes_the_file(tmp_path: Path, name: str) -> None:
    rows = [{"a": i} for i in range(100)]
    if ".csv" in name:
        data = b"a\n" + b"".join(f"{i}\n".encode() for i in range(100))
    elif name.endswith(".json"):
        data = json.dumps(rows).encode()
    else:
        data = jsonl(*rows)
    path = write_bytes(tmp_path / name, data)
    batches = FileSource(path).iter_batches(10)
    first, _ = next(batches)
    assert len(first) == 10
    assert str(path.resolve()) in _open_paths()
    batches.close()
    assert str(path.resolve()) not in _open_paths()


def test_directory_is_expanded_recursively_and_sorted(tmp_path: Path) -> None:
    write_bytes(tmp_path / "b.jsonl", jsonl({"f": "b"}))
    (tmp_path / "sub").mkdir()
    write_bytes(tmp_path / "sub" / "a.csv.gz", b"f\nsub/a\n")
    write_bytes(tmp_path / "a.txt", b"hello")
    write_bytes(tmp_path / "notes.xml", b"<x/>")
    source = FileSource(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in source.files] == [
        "a.txt",
        "b.jsonl",
        "sub/a.csv.gz",
    ]
    _, rows, _ = read_all(source)
    assert [r.get("f", r.get("text")) for r in rows] == ["hello", "b", "sub/a"]
    assert source.describe().startswith("3 files (1 csv, 1 jsonl, 1 text)")


def test_glob_list_and_deduplication(tmp_path: Path) -> None:
    for name in ["x1.jsonl", "x2.jsonl", "y.jsonl"]:
        write_bytes(tmp_path / name, jsonl({"n": name}))
    (tmp_path / "deep" / "er").mkdir(parents=True)
    write_bytes(tmp_path / "deep" / "er" / "x3.jsonl", jsonl({"n": "x3"}))
    source = FileSource(
        [tmp_path / "x?.jsonl", str(tmp_path / "**" / "x*.jsonl"), tmp_path / "x1.jsonl"]
    )
    assert [p.name for p in source.files] == ["x3.jsonl", "x1.jsonl", "x2.jsonl"]
    _, rows, _ = read_all(source)
    assert len(rows) == 3
    literal = write_bytes(tmp_path / "odd[1].jsonl", jsonl({"n": "odd"}))
    assert FileSource(literal).files == [literal.resolve()]


def test_missing_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.jsonl: no such file"):
        _ = FileSource(tmp_path / "nope.jsonl").files
    with pytest.raises(SourceError, match=r"\*\.csv: the pattern matches no files"):
        _ = FileSource(str(tmp_path / "*.csv")).files
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="empty: directory holds no files with a known ext"):
        _ = FileSource(tmp_path / "empty").files
    write_bytes(tmp_path / "data.xml", b"<x/>")
    with pytest.raises(SourceError, match=r"data\.xml: unknown file format"):
        _ = FileSource(tmp_path / "data.xml").files
    with pytest.raises(SourceError, match="no input paths"):
        FileSource([])


def test_format_override(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "export.log.gz", jsonl({"a": 1}))
    _, rows, _ = read_all(FileSource(path, format="jsonl"))
    assert rows == [{"a": 1}]
    assert FileSource(path, format="jsonl").describe().endswith("(jsonl)")
    with pytest.raises(SourceError, match="unknown format 'xml'"):
        FileSource(path, format="xml")


def test_fields_are_the_union_of_a_sample_of_rows(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path / "opt.jsonl",
        jsonl({"id": 0}, {"id": 1, "text": "x"}, *({"id": i} for i in range(2, 9)), {"late": 1}),
    )
    assert FileSource(path).fields() == ["id", "text", "late"]
    sample = FileSource(path).sample_fields()
    assert sample is not None and sample.rows == 10
    assert sample.where == f"all 10 rows of {path.resolve()}"
    small = FileSource(path).sample_fields(5)
    assert small is not None and small.names == ("id", "text") and small.rows == 5
    assert small.where.startswith("the first 5 rows of ")


def test_fields_sample_spans_files_one_row_per_fixed_schema_file(tmp_path: Path) -> None:
    write_bytes(tmp_path / "a.jsonl", jsonl({"q": 1}, {"q": 2, "extra": 0}))
    write_bytes(tmp_path / "b.csv", b"q,c\n1,2\n3,4\n")
    write_bytes(tmp_path / "c.txt", b"hello")
    write_bytes(tmp_path / "d.txt", b"again")
    sample = FileSource(tmp_path).sample_fields()
    assert sample is not None
    assert sample.names == ("q", "extra", "c", "path", "text")
    assert sample.rows == 4 and sample.where == "4 rows from 3 of 4 input files"


def test_fields_peeks_the_first_good_record(tmp_path: Path) -> None:
    write_bytes(tmp_path / "a.jsonl", b"")
    write_bytes(tmp_path / "b.jsonl", b'oops\n{"q": 1, "a": 2}\n')
    assert FileSource(tmp_path).fields() == ["q", "a"]
    assert FileSource(tmp_path / "a.jsonl").fields() is None
    page = write_bytes(tmp_path / "p.html", b"<p>x</p>")
    assert FileSource(page, html_field="raw").fields() == ["path", "raw"]


def test_reading_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = {"text": "lorem ipsum dolor sit amet " * 4, "score": 0.5}
    with open(path, "wb") as f:
        for i in range(200_000):
            f.write(json.dumps({"i": i, **line}).encode() + b"\n")
    size = path.stat().st_size
    count = 0
    tracemalloc.start()
    try:
        for batch, _ in FileSource(path).iter_batches(1000):
            count += len(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < size / 10, f"peak {peak} bytes while reading a {size}-byte file"


def test_jsonl_resumes_right_after_a_consumed_record(tmp_path: Path) -> None:
    """A checkpoint's offset lets a plain JSONL file start after that record, ids unchanged."""
    path = tmp_path / "data.jsonl"
    path.write_text("".join(f'{{"n": {i}}}\n' for i in range(10)) + "not json\n")
    source = FileSource(path, on_bad_record="skip")
    everything = [b for b, _ in source.iter_batches(4)]
    ids = [i for b in everything for i in b.ids]
    fp, offset = ids[5].rsplit(":", 1)
    (batch, bad), *rest = list(source.iter_batches(100, after={fp: int(offset)}))
    assert not rest
    assert batch.ids == ids[6:] and [r["n"] for r in batch.rows] == [6, 7, 8, 9]
    # line numbers are unknown after a seek: the bad record names its byte offset
    assert bad[0].where == f"byte offset {path.read_bytes().index(b'not json')}"
