"""Input protection: outputs that are, or would become, inputs are refused; a run's own files
are left out of its input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import Chain, read_jsonl, write_jsonl

from streamflow import Refiner
from streamflow.errors import UnsafeOutputError
from streamflow.executors.base import Job
from streamflow.executors.guards import protect_inputs
from streamflow.io.sources import FileSource
from streamflow.rows import fingerprint
from streamflow.store.rundir import REPORTS_NAME, SPOOL_NAME
from streamflow.store.runstore import RunStore


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "dd" / "sub").mkdir(parents=True)
    write_jsonl(tmp_path / "dd" / "a.jsonl", [{"text": "a"}])
    write_jsonl(tmp_path / "dd" / "sub" / "b.jsonl", [{"text": "b"}])
    return tmp_path


def job(inputs: str | list[str], output: Path, run_dir: Path | None = None) -> Job:
    return Job(FileSource(inputs), output, run_dir)


def test_an_output_elsewhere_passes_unchanged(data):
    given = job(str(data / "dd"), data / "out.jsonl")
    assert protect_inputs(given) is given


@pytest.mark.parametrize(
    ("inputs", "output"),
    [
        ("dd/a.jsonl", "dd/a.jsonl"),
        ("dd/a.jsonl", "dd/sub/../a.jsonl"),
        ("dd/**/*.jsonl", "dd/sub/b.jsonl"),
        ("dd", "dd/sub/b.jsonl"),
    ],
)
def test_an_output_that_is_an_input_is_refused(data, inputs, output):
    with pytest.raises(UnsafeOutputError, match="input") as info:
        protect_inputs(job(str(data / inputs), data / output))
    assert output.split("/")[-1] in str(info.value)


def test_links_to_an_input_are_the_input(data):
    (data / "soft.jsonl").symlink_to(data / "dd" / "a.jsonl")
    os.link(data / "dd" / "a.jsonl", data / "hard.jsonl")
    for link in ("soft.jsonl", "hard.jsonl"):
        with pytest.raises(UnsafeOutputError, match=r"a\.jsonl"):
            protect_inputs(job(str(data / "dd" / "a.jsonl"), data / link))


@pytest.mark.parametrize(
    ("inputs", "output", "refused"),
    [
        ("dd", "dd/new.jsonl", True),
        ("dd", "dd/deeper/new.parquet", True),
        ("dd/*.jsonl", "dd/new.jsonl", True),
        ("dd/**/*.jsonl", "dd/x/y/new.jsonl", True),
        ("d*", "dd/new.jsonl", True),  # the pattern matches the directory the output is in
        ("dd/*.jsonl", "dd/sub/new.jsonl", False),  # one level only, as glob reads it
        ("dd/*.jsonl", "dd/new.csv", False),
        ("dd/a.jsonl", "dd/new.jsonl", False),
    ],
)
def test_an_output_that_would_become_an_input(data, inputs, output, refused):
    given = job(str(data / inputs), data / output)
    if refused:
        with pytest.raises(UnsafeOutputError, match="later run would read it"):
            protect_inputs(given)
    else:
        assert protect_inputs(given) is given


def test_a_run_directory_inside_the_input_leaves_only_its_own_files_out(data):
    run_dir = data / "dd" / "rd"
    (run_dir / "store").mkdir(parents=True)
    for name in (SPOOL_NAME, REPORTS_NAME, "notes.jsonl"):
        write_jsonl(run_dir / name, [{"text": "mine"}])
    write_jsonl(run_dir / "store" / "x.jsonl", [{"text": "mine"}])
    protected = protect_inputs(job(str(data / "dd"), data / "out.parquet", run_dir))
    names = [p.relative_to(data.resolve()).as_posix() for p in protected.source.files]
    assert names == ["dd/a.jsonl", "dd/rd/notes.jsonl", "dd/sub/b.jsonl"]


class Upper(Refiner):
    def process(self, rows, input_key):
        return [{**r, input_key: r[input_key].upper()} for r in rows]


def test_a_run_directory_from_before_inputs_were_recorded_goes_on(tmp_path):
    """Run directories written before input identity keyed positions by path: they continue."""
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": f"r{i}"} for i in range(5)])
    storage = {"entry_file": str(source), "output_file": tmp_path / "o.jsonl"}
    run_dir = tmp_path / "rd"
    Chain([(Upper(), {"input_key": "text"})], **storage, run_dir=run_dir).run()
    # make it look as an older streamflow left it: path-derived ids, no input records
    store = RunStore(run_dir / "store")
    checkpoint = store.get_meta("checkpoint")
    [offset] = checkpoint["position"].values()
    legacy = fingerprint(str(source.resolve()))
    store.put_meta(checkpoint={**checkpoint, "position": {legacy: offset}})
    with store.env.begin(write=True, db=store._dbs["meta"]) as txn:
        assert txn.delete(b"inputs")
    store.close()
    with source.open("ab") as f:
        f.write(b'{"text": "r5"}\n')
    Chain([(Upper(), {"input_key": "text"})], **storage, run_dir=run_dir).run()
    assert [r["text"] for r in read_jsonl(tmp_path / "o.jsonl")] == [f"R{i}" for i in range(6)]
