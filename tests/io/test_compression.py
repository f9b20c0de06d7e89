"""open_binary: gzip and zstd by extension; a compressed input cut short raises, not reads short."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard

from streamflow.io.compression import bare_name, open_binary

DATA = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 50)) for i in range(20_000))


def test_zstd_reads_one_frame_many_frames_and_a_streamed_file(tmp_path: Path) -> None:
    one = zstandard.ZstdCompressor().compress(DATA)
    (tmp_path / "one.zst").write_bytes(one)
    (tmp_path / "two.zst").write_bytes(one + zstandard.ZstdCompressor(level=9).compress(DATA))
    with zstandard.open(tmp_path / "streamed.zst", "wb") as f:  # no content size in the frame
        for start in range(0, len(DATA), 7_000):
            f.write(DATA[start : start + 7_000])
    with open_binary(tmp_path / "one.zst", "rb") as f:
        assert f.read() == DATA
    with open_binary(tmp_path / "two.zst", "rb") as f:
        assert f.read() == DATA + DATA
    with open_binary(tmp_path / "streamed.zst", "rb") as f:
        assert f.readlines() == DATA.splitlines(keepends=True)


def test_an_empty_zstd_file_is_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.zst").write_bytes(b"")
    with open_binary(tmp_path / "empty.zst", "rb") as f:
        assert f.read() == b""


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_a_truncated_zstd_file_raises_eof_after_the_data_before_the_cut(
    tmp_path: Path, keep: float
) -> None:
    packed = zstandard.ZstdCompressor(level=1).compress(DATA * 3)  # several zstd blocks
    path = tmp_path / "cut.zst"
    path.write_bytes(packed[: int(len(packed) * keep)])
    got = bytearray()
    with open_binary(path, "rb") as f, pytest.raises(EOFError, match="ends inside a zstd frame"):
        while chunk := f.read(4096):
            got += chunk
    assert (DATA * 3).startswith(bytes(got))


def test_a_truncated_second_frame_raises(tmp_path: Path) -> None:
    frame = zstandard.ZstdCompressor().compress(b'{"a": 1}\n')
    path = tmp_path / "cut.zst"
    path.write_bytes(frame + frame[:-3])
    with open_binary(path, "rb") as f, pytest.raises(EOFError):
        f.read()


def test_corrupt_zstd_data_raises_zstd_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.zst"
    path.write_bytes(b"this is not zstd data at all")
    with open_binary(path, "rb") as f, pytest.raises(zstandard.ZstdError):
        f.read()


def test_zstd_and_gzip_round_trip_through_writing(tmp_path: Path) -> None:
    for name in ("out.jsonl.zst", "out.jsonl.gz", "out.jsonl"):
        with open_binary(tmp_path / name, "wb") as f:
            f.write(DATA)
        with open_binary(tmp_path / name, "rb") as f:
            assert f.read() == DATA
    assert gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()) == DATA
    assert bare_name(tmp_path / "A.JSONL.ZST") == "a.jsonl"
