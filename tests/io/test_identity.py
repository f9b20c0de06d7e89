"""Input identity: moved and grown files keep their ids, rewritten ones are reported."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from streamflow.io.identity import HEAD, TAIL, identify, input_ids
from streamflow.io.sources import FileSource


def lines(*texts: str) -> bytes:
    return b"".join(f'{{"text": "{t}"}}\n'.encode() for t in texts)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path.resolve()


def first_run(*paths: Path):
    return identify(list(paths), {})


def test_ids_come_from_content_not_path(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y"))
    b = write(tmp_path / "b.jsonl", lines("x", "y"))
    c = write(tmp_path / "c.jsonl", lines("z"))
    ids = input_ids([a, b, c])
    assert ids[a].split("~")[0] == ids[b].split("~")[0]  # same first line...
    assert len(set(ids.values())) == 3  # ...yet each file of one input has its own id
    assert input_ids([c]) == {c: ids[c]}  # whatever the other files


def test_a_moved_file_keeps_its_id(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y"))
    before = first_run(a)
    moved = tmp_path / "sub"
    moved.mkdir()
    b = (moved / "b.jsonl").resolve()
    os.rename(a, b)
    after = identify([b], before.records)
    assert after.rewritten == []
    assert after.ids[b] == before.ids[a]
    assert after.records[before.ids[a]]["path"] == str(b)


def test_swapped_names_follow_the_content(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("a1", "a2"))
    b = write(tmp_path / "b.jsonl", lines("b1", "b2"))
    before = first_run(a, b)
    tmp = tmp_path / "t"
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)
    after = identify([a, b], before.records)
    assert after.rewritten == []
    assert after.ids == {a: before.ids[b], b: before.ids[a]}


def test_a_small_file_that_grew_is_the_same_input(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x"))
    before = first_run(a)
    with a.open("ab") as f:
        f.write(lines("y", "z"))
    after = identify([a], before.records)
    assert after.rewritten == [] and after.ids == before.ids
    assert after.records[before.ids[a]]["size"] == a.stat().st_size
    # and it grew again, then moved: still the same input
    with a.open("ab") as f:
        f.write(lines("w"))
    b = (tmp_path / "b.jsonl").resolve()
    os.rename(a, b)
    again = identify([b], after.records)
    assert again.rewritten == [] and again.ids[b] == before.ids[a]


def test_a_large_file_that_grew_is_the_same_input(tmp_path):
    a = write(tmp_path / "a.jsonl", lines(*(f"row {i:06d}" for i in range(10_000))))
    assert a.stat().st_size > HEAD + TAIL
    before = first_run(a)
    with a.open("ab") as f:
        f.write(lines("more"))
    assert identify([a], before.records).rewritten == []


def test_rewritten_in_place_is_reported(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y"))
    before = first_run(a)
    write(a, lines("new", "content"))
    after = identify([a], before.records)
    assert [path for path, _ in after.rewritten] == [a]
    assert "first" in after.rewritten[0][1]


def test_a_rewrite_behind_the_head_is_reported(tmp_path):
    rows = [f"row {i:06d}" for i in range(10_000)]
    a = write(tmp_path / "a.jsonl", lines(*rows))
    before = first_run(a)
    rows[-1] = "changed"  # the head is untouched; the bytes before the old end are not
    write(a, lines(*rows) + lines("appended"))
    [(path, why)] = identify([a], before.records).rewritten
    assert path == a and "changed" in why


def test_a_truncated_file_is_reported(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y", "z"))
    before = first_run(a)
    write(a, lines("x", "y"))
    [(path, why)] = identify([a], before.records).rewritten
    assert path == a and "shorter" in why


def test_new_content_at_a_path_whose_input_moved_is_new_input(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y"))
    before = first_run(a)
    b = (tmp_path / "b.jsonl").resolve()
    os.rename(a, b)
    write(a, lines("fresh"))
    after = identify([a, b], before.records)
    assert after.rewritten == []
    assert after.ids[b] == before.ids[a] and after.ids[a] != before.ids[a]


def test_a_copy_beside_its_original_gets_its_own_id(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y"))
    before = first_run(a)
    b = write(tmp_path / "b.jsonl", a.read_bytes())
    after = identify([a, b], before.records)
    assert after.rewritten == []
    assert after.ids[a] == before.ids[a] and after.ids[b] != after.ids[a]


def test_a_gzip_file_that_grew_keeps_its_id_without_memory(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(lines("x")))
    before = input_ids([path.resolve()])
    with path.open("ab") as f:
        f.write(gzip.compress(lines("y")))  # a second gzip member
    assert input_ids([path.resolve()]) == before


def test_a_source_uses_the_ids_it_is_given(tmp_path):
    a = write(tmp_path / "a.jsonl", lines("x", "y"))
    source = FileSource(a)
    source.use_file_ids({a: "given"})
    [(batch, _)] = list(source.iter_batches(10))
    assert [i.split(":")[0] for i in batch.ids] == ["given", "given"]
