"""One format detection for sources and sinks: extensions, compression suffixes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamflow.errors import SinkError, SourceError
from streamflow.io import sinks, sources
from streamflow.io.formats import format_of


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "jsonl"),
        ("a.NDJSON", "jsonl"),
        ("a.jsonl.gz", "jsonl"),
        ("a.json.zst", "json"),
        ("a.csv.gz", "csv"),
        ("a.parquet", "parquet"),
        ("a.md", "text"),
        ("a.markdown", "text"),
        ("a.txt.zst", "text"),
        ("a.htm", "html"),
        ("a.html.gz", "html"),
        ("a.warc.gz", "warc"),
        ("a.arc", "warc"),
    ],
)
def test_format_of(name: str, fmt: str) -> None:
    assert format_of(Path(name)) == fmt


def test_format_of_unknown_lists_known_extensions() -> None:
    with pytest.raises(SourceError, match=r"data\.xml.*\.jsonl.*\.parquet"):
        format_of(Path("data.xml.gz"))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.jsonl", "jsonl"),
        ("out.json", "json"),  # a JSON array, read back by the .json source
        ("out.ndjson.zst", "jsonl"),
        ("out.CSV.gz", "csv"),
        ("out.parquet", "parquet"),
    ],
)
def test_format_of_for_writing(name: str, fmt: str) -> None:
    assert format_of(Path(name), "write") == fmt


@pytest.mark.parametrize("name", ["out.txt", "out.html", "out.warc.gz", "out.xml"])
def test_writing_knows_fewer_formats_and_says_which(name: str) -> None:
    with pytest.raises(SinkError, match=r"unknown output format.*\.csv.*\.parquet"):
        format_of(Path(name), "write")


def test_sources_and_sinks_share_the_one_detection(tmp_path: Path) -> None:
    assert sources.format_of is sinks.format_of is format_of
    assert not sinks.supports_append(tmp_path / "out.jsonl.gz")
    assert not sinks.supports_append(tmp_path / "out.json")  # its closing bracket comes last
    assert sinks.supports_append(tmp_path / "out.csv")
