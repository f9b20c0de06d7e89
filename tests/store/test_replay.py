"""What an expensive step's stored results replay, in-process: verdicts with their scores,
final failures; and what they do not: transient failures, which a later run retries."""

from __future__ import annotations

from typing import ClassVar

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow import Failure, Filter, Generator


class Judge(Filter):
    """An 'LLM judge': expensive, writes a score into the rows it keeps or drops."""

    expensive = True
    calls = 0

    def process(self, rows, input_key: str, output_key: str):
        Judge.calls += len(rows)
        for r in rows:
            r[output_key] = r[input_key] % 10
        return [(r[input_key] % 3 != 0, f"score {r[input_key] % 10}") for r in rows]


class Ask(Generator):
    """Expensive; rows 5 fail for good, rows 7 fail transiently (say, a timeout)."""

    expensive = True
    calls: ClassVar[list[int]] = []

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix

    def process(self, rows, input_key: str, output_key: str):
        Ask.calls += [r[input_key] for r in rows]
        out = []
        for r in rows:
            if r[input_key] == 5:
                out.append(Failure("context too long"))
            elif r[input_key] == 7:
                out.append(Failure("gave up after 3 attempts", transient=True))
            else:
                out.append({**r, output_key: f"{r[input_key]}{self.suffix}"})
        return out


@pytest.fixture(autouse=True)
def reset_counters():
    Judge.calls = 0
    Ask.calls = []


def test_replayed_filter_keeps_its_scores_and_transient_failures_are_retried(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(12)])
    out = tmp_path / "out.jsonl"

    def pipeline(suffix: str):
        steps = [
            (Judge(), {"input_key": "n", "output_key": "score"}),
            (Ask(suffix), {"input_key": "n", "output_key": "a"}),
        ]
        return chain(steps, entry_file=src, output_file=out, run_dir=tmp_path / "run")

    first = pipeline("").run(batch_size=4)
    assert [r["n"] for r in read_jsonl(out)] == [1, 2, 4, 8, 10, 11]
    assert {d.id.split(":")[1] for d in first.dead_letters.records()} != set()
    judged = Judge.calls

    # A changed downstream step: the output is rewritten from the start; Judge replays.
    pipeline("!").run(batch_size=4, resume=True)
    rows = read_jsonl(out)
    assert Judge.calls == judged  # no judge call was paid twice
    assert [(r["n"], r["score"], r["a"]) for r in rows] == [
        (n, n % 10, f"{n}!") for n in (1, 2, 4, 8, 10, 11)
    ]
    # Ask recomputed everything: its configuration changed
    assert sorted(Ask.calls) == sorted([1, 2, 4, 5, 7, 8, 10, 11] * 2)


def test_transient_failures_are_not_stored(tmp_path):
    from streamflow.store.results import StoredResults
    from streamflow.store.runstore import RunStore

    store = RunStore(tmp_path / "s")
    results = StoredResults(store, "step")
    final, transient = Failure("context too long"), Failure("timed out", transient=True)
    results.put(["a", "b", "c"], [{"x": 1}, final, transient], None)
    assert results.get(["a", "b", "c"]) == [({"x": 1}, None), (final, None), None]
    store.close()


def test_new_files_matching_the_glob_are_an_incremental_run(chain, tmp_path):
    """A finished run over `parts/*.jsonl`, then a new part: only its rows are processed."""
    from streamflow.operators.general_text import HashDeduplicateFilter

    parts = tmp_path / "parts"
    parts.mkdir()
    write_jsonl(parts / "a.jsonl", [{"n": i, "text": f"t{i}"} for i in range(6)])
    out = tmp_path / "out.jsonl"

    def run() -> None:
        steps = [
            (Ask(), {"input_key": "n", "output_key": "a"}),
            (HashDeduplicateFilter(), {"input_key": "text"}),
        ]
        chain(
            steps, entry_file=str(parts / "*.jsonl"), output_file=out, run_dir=tmp_path / "run"
        ).run(batch_size=4)

    run()
    assert sorted(Ask.calls) == [0, 1, 2, 3, 4, 5]
    # a new part: two new texts and one that repeats a text of the first run
    write_jsonl(parts / "b.jsonl", [{"n": 8, "text": "t8"}, {"n": 9, "text": "t1"}])
    run()
    assert sorted(Ask.calls) == [0, 1, 2, 3, 4, 5, 8, 9]  # only the new file's rows
    assert [r["n"] for r in read_jsonl(out)] == [0, 1, 2, 3, 4, 8]  # 5 failed; 9 repeats t1
