"""Seed rows: a pipeline that makes its rows from nothing streams, resumes and keeps its ids."""

from __future__ import annotations

import pytest
from helpers import read_jsonl

from streamflow import FileStorage, Pipeline, RowGenerator, StreamflowError, row_ids
from streamflow.io.seeds import SeedSource


class Twice(RowGenerator):
    """Two rows per seed, each naming the id of the seed it came from."""

    expensive = True

    def __init__(self, num_samples: int = 10) -> None:
        self.num_samples = num_samples

    @property
    def seed_rows(self) -> int:
        return self.num_samples // 2

    def process(self, rows, output_key: str = "text"):
        return [
            [{output_key: f"{rid}#{k}", "seed": row["seed"]} for k in range(2)]
            for rid, row in zip(row_ids(), rows, strict=True)
        ]


class Synthesis(Pipeline):
    def __init__(self, out, seed_rows=None, num_samples=10):
        self.storage = FileStorage(output_file=out, seed_rows=seed_rows)
        self.make = Twice(num_samples)

    def forward(self):
        self.make.run(self.storage.step())


def test_seed_source_batches_ids_and_position():
    source = SeedSource(7)
    batches = [b for b, bad in source.iter_batches(3)]
    assert [b.ids for b in batches] == [
        ["gen:0", "gen:1", "gen:2"],
        ["gen:3", "gen:4", "gen:5"],
        ["gen:6"],
    ]
    assert [r["seed"] for b in batches for r in b.rows] == list(range(7))
    after = [b.ids for b, _ in source.iter_batches(3, after={"gen": 4})]
    assert after == [["gen:5", "gen:6"]]
    assert source.fields() == ["seed"] and SeedSource(0).fields() is None
    sample = source.sample_fields()
    assert sample is not None and sample.names == ("seed",) and sample.rows == 7
    assert SeedSource(0).sample_fields() is None
    assert "7 seed rows" in source.describe()


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
def test_seed_count_must_be_a_whole_number(bad):
    with pytest.raises(StreamflowError, match="seed_rows"):
        SeedSource(bad)


def test_first_step_says_how_many_seeds(tmp_path):
    out = tmp_path / "out.jsonl"
    Synthesis(out, num_samples=12).run(batch_size=4)
    rows = read_jsonl(out)
    assert [r["text"] for r in rows[:3]] == ["gen:0#0", "gen:0#1", "gen:1#0"]
    assert len(rows) == 12 and [r["seed"] for r in rows[::2]] == list(range(6))


def test_storage_seed_rows_win_over_the_operator(tmp_path):
    out = tmp_path / "out.jsonl"
    Synthesis(out, seed_rows=3, num_samples=100).run()
    assert len(read_jsonl(out)) == 6


def test_no_input_and_no_seed_count_is_a_clear_error(tmp_path):
    class NoCount(Twice):
        seed_rows = None  # type: ignore[assignment]

    class Plain(Pipeline):
        def __init__(self):
            self.storage = FileStorage(output_file=tmp_path / "o.jsonl")
            self.op = NoCount()

        def forward(self):
            self.op.run(self.storage.step())

    with pytest.raises(StreamflowError, match="seed_rows=N"):
        Plain().run()


def test_growing_the_seed_count_generates_only_the_new_seeds(tmp_path):
    out, run_dir = tmp_path / "out.jsonl", tmp_path / "run"
    Synthesis(out, seed_rows=5).run(run_dir=run_dir)
    first = read_jsonl(out)
    result = Synthesis(out, seed_rows=8).run(run_dir=run_dir)
    rows = read_jsonl(out)
    assert rows[: len(first)] == first and len(rows) == 16
    assert result.stats.operators[0].rows_in == 3  # only gen:5..gen:7 were generated
