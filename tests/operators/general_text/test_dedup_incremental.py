"""The n-gram-hash and SimHash dedup filters in a Pipeline with a run directory: a second run
over a new file deduplicates against the first run's rows, and a resumed run of the same file
keeps what it kept."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.general_text.ngram_hash_dedup import NgramHashDeduplicateFilter
from streamflow.operators.general_text.simhash_dedup import SimHashDeduplicateFilter


def passages(rng: random.Random, n: int) -> list[str]:
    vocab = [f"w{i}" for i in range(2000)]
    return [" ".join(rng.choices(vocab, k=120)) for _ in range(n)]


@pytest.mark.parametrize("make", [NgramHashDeduplicateFilter, SimHashDeduplicateFilter])
def test_a_second_run_dedups_against_the_first(make: Any, chain: Any, tmp_path: Path) -> None:
    rng = random.Random(7)
    texts = passages(rng, 30)
    first = write_jsonl(tmp_path / "one.jsonl", [{"n": i, "text": t} for i, t in enumerate(texts)])
    second = write_jsonl(
        tmp_path / "two.jsonl",
        [
            {"n": 100, "text": texts[4]},  # a copy of a row of run one
            {"n": 101, "text": passages(rng, 1)[0]},  # new
            {"n": 102, "text": texts[9]},  # a copy
        ],
    )
    out, run_dir = tmp_path / "out.jsonl", tmp_path / "run"

    def run(src: Path) -> Any:
        steps = [(make(), {"input_key": "text"})]
        return chain(steps, entry_file=src, output_file=out, run_dir=run_dir).run(batch_size=8)

    run(first)
    assert [r["n"] for r in read_jsonl(out)] == list(range(30))
    result = run(second)
    assert [r["n"] for r in read_jsonl(out)] == [*range(30), 101]
    assert len(result.dropped.records()) == 2
