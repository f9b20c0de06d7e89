"""File sinks: round trips through FileSource, schemas, headers, errors and life cycle."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import zstandard

from streamflow.errors import SinkError
from streamflow.io.sinks import open_sink
from streamflow.io.sources import FileSource
from streamflow.rows import Batch

ROWS = [
    {"id": 1, "text": 'héllo, "world"\nline two', "tags": ["a", "b"], "meta": {"k": 1.5}},
    {"id": 2, "text": "", "tags": [], "meta": {"k": -2.0}},
    {"id": 3, "text": "ünïcödé ✓", "tags": ["c"], "meta": {"k": 0.0}},
]


def batch(rows: list[dict], start: int = 0) -> Batch:
    return Batch([f"src:{start + i}" for i in range(len(rows))], rows)


def read_rows(path: Path) -> list[dict]:
    return [row for b, _ in FileSource(path).iter_batches(100) for row in b.rows]


@pytest.mark.parametrize("name", ["out.jsonl", "out.json", "out.ndjson.gz", "out.jsonl.zst"])
def test_jsonl_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / "nested" / "dir" / name
    with open_sink(path) as sink:
        sink.write(batch(ROWS[:2]))
        sink.write(batch([]))
        sink.write(batch(ROWS[2:], 2))
    assert sink.path == path
    assert read_rows(path) == ROWS


def test_jsonl_is_plain_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl.gz"
    with open_sink(path) as sink:
        sink.write(batch(ROWS))
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert [json.loads(line) for line in lines] == ROWS


def test_jsonl_unencodable_value_names_the_row(tmp_path: Path) -> None:
    with (
        open_sink(tmp_path / "out.jsonl") as sink,
        pytest.raises(SinkError, match=r"out\.jsonl: row src:1: cannot encode"),
    ):
        sink.write(batch([{"a": 1}, {"a": object()}]))


@pytest.mark.parametrize("batches", [[ROWS], [ROWS[:1], [], ROWS[1:]], []])
def test_json_is_one_array_the_json_source_reads_back(tmp_path: Path, batches) -> None:
    path = tmp_path / "out.json"
    with open_sink(path) as sink:
        start = 0
        for rows in batches:
            sink.write(batch(rows, start))
            start += len(rows)
    written = [row for rows in batches for row in rows]
    assert json.loads(path.read_text()) == written
    assert read_rows(path) == written


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz", "out.csv.zst"])
def test_csv_round_trip_as_strings(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with open_sink(path) as sink:
        sink.write(batch(ROWS))
    assert read_rows(path) == [
        {
            "id": str(r["id"]),
            "text": r["text"],
            "tags": json.dumps(r["tags"], separators=(",", ":")),
            "meta": json.dumps(r["meta"], separators=(",", ":")),
        }
        for r in ROWS
    ]


def test_csv_header_is_first_batch_union_and_missing_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "out.csv.zst"
    with open_sink(path) as sink:
        sink.write(batch([]))
        sink.write(batch([{"a": 1}, {"b": None, "a": 2}]))
        sink.write(batch([{"b": True}], 2))
    with zstandard.open(path, "rt", encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == [["a", "b"], ["1", ""], ["2", ""], ["", "True"]]


def test_csv_field_not_in_header_names_field_and_row(tmp_path: Path) -> None:
    with open_sink(tmp_path / "out.csv") as sink:
        sink.write(batch([{"a": 1}]))
        with pytest.raises(
            SinkError, match=r"out\.csv: row src:1: field 'z' not in the CSV header"
        ):
            sink.write(batch([{"a": 2, "z": 3}], 1))


def test_parquet_round_trip_and_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    rows = [{"n": i, "s": f"r{i}", "xs": [i, i + 1], "m": {"k": float(i)}} for i in range(10)]
    with open_sink(path, row_group_size=4) as sink:
        sink.write(batch(rows[:3]))
        sink.write(batch(rows[3:9], 3))
        sink.write(batch(rows[9:], 9))
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 4, 2]
    assert read_rows(path) == rows


def test_parquet_schema_is_union_of_first_group_and_missing_is_null(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    with open_sink(path, row_group_size=2) as sink:
        sink.write(batch([{"a": 1}, {"b": "x", "a": 2}, {"b": "y"}]))
    assert read_rows(path) == [{"a": 1, "b": None}, {"a": 2, "b": "x"}, {"a": None, "b": "y"}]


def test_parquet_field_not_in_schema_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    sink = open_sink(path, row_group_size=1)
    sink.write(batch([{"a": 1}]))
    with pytest.raises(SinkError, match=r"row src:1: field 'new' not in the Parquet schema"):
        sink.write(batch([{"a": 2, "new": 0}], 1))
    sink.write(batch([{"a": 3}], 2))
    sink.close()
    assert read_rows(path) == [{"a": 1}, {"a": 3}]


def test_parquet_value_of_wrong_type_names_field_and_row(tmp_path: Path) -> None:
    sink = open_sink(tmp_path / "out.parquet", row_group_size=2)
    sink.write(batch([{"a": 1, "b": None}, {"a": 2, "b": None}]))
    with pytest.raises(SinkError, match=r"row src:3: field 'a': cannot store 'three'.*int64"):
        sink.write(batch([{"a": 3}, {"a": "three"}], 2))
    with pytest.raises(SinkError, match=r"row src:4: field 'b'.*only nulls"):
        sink.write(batch([{"a": 4, "b": "text"}, {"a": 5}], 4))


def test_parquet_mixed_types_in_first_group_name_the_row(tmp_path: Path) -> None:
    sink = open_sink(tmp_path / "out.parquet")
    sink.write(batch([{"a": None}, {"a": 1}, {"a": "x"}]))
    with pytest.raises(SinkError, match=r"row src:2: field 'a': cannot store 'x'"):
        sink.close()


def test_empty_outputs_are_valid_files(tmp_path: Path) -> None:
    for name in ["e.jsonl", "e.csv", "e.parquet"]:
        open_sink(tmp_path / name).close()
        assert (tmp_path / name).exists()
        assert read_rows(tmp_path / name) == []
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


def test_format_override_and_unknown_formats(tmp_path: Path) -> None:
    with open_sink(tmp_path / "out.txt", format="jsonl") as sink:
        sink.write(batch([{"a": 1}]))
    assert (tmp_path / "out.txt").read_bytes() == b'{"a":1}\n'
    with pytest.raises(SinkError, match=r"out\.xml: unknown output format.*\.csv.*\.parquet"):
        open_sink(tmp_path / "out.xml")
    with pytest.raises(SinkError, match="unknown sink format 'xml'"):
        open_sink(tmp_path / "out.jsonl", format="xml")
    with pytest.raises(SinkError, match="parquet compresses internally"):
        open_sink(tmp_path / "out.parquet.gz")


def test_close_is_idempotent_and_write_after_close_fails(tmp_path: Path) -> None:
    sink = open_sink(tmp_path / "out.jsonl.gz")
    sink.write(batch([{"a": 1}]))
    sink.close()
    sink.close()
    with pytest.raises(SinkError, match="write after close"):
        sink.write(batch([{"a": 2}]))
    assert read_rows(tmp_path / "out.jsonl.gz") == [{"a": 1}]


def test_context_manager_closes_on_error(tmp_path: Path) -> None:
    path = tmp_path / "out.csv.gz"
    with pytest.raises(RuntimeError), open_sink(path) as sink:
        sink.write(batch([{"a": "kept"}]))
        raise RuntimeError("boom")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        assert f.read().splitlines() == ["a", "kept"]
