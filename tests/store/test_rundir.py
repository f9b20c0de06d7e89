"""A run directory's records decide, from labels and fingerprints alone, whether a run starts
fresh, resumes, continues incrementally or is refused; requeued rows come back by step."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamflow.store.deadletters import DeadLetter, DeadLetters
from streamflow.store.rundir import (
    Checkpoint,
    ResumeNotice,
    RunDirectory,
    RunDirectoryError,
    requeue_dead_letters,
)

STEPS = ["Clean", "Ask"]


def open_run(path: Path, fps: list[str], **flags: bool) -> RunDirectory:
    return RunDirectory.open(path, STEPS, fps, path / "out.jsonl", **flags)


def checkpoint(number: int) -> Checkpoint:
    return Checkpoint(number, {"f": 10 * number}, 100 * number, 3 * number)


def test_fresh_then_unfinished_then_resumed(tmp_path: Path) -> None:
    run = open_run(tmp_path, ["a", "b"])
    assert run.checkpoint is None and run.fingerprints == ["a", "b"]
    run.mark("running")
    run.record_checkpoint(checkpoint(2))
    run.close()

    with pytest.raises(RunDirectoryError, match=r"unfinished run \(killed\).*--resume"):
        open_run(tmp_path, ["a", "b"])
    resumed = open_run(tmp_path, ["a", "b"], resume=True)
    assert resumed.checkpoint == checkpoint(2)
    resumed.mark("finished")
    resumed.close()

    again = open_run(tmp_path, ["a", "b"])  # finished: an incremental run, from the checkpoint
    assert again.checkpoint == checkpoint(2)
    again.close()


def test_a_changed_step_is_named_and_resuming_starts_over(tmp_path: Path) -> None:
    run = open_run(tmp_path, ["a", "b"])
    run.record_checkpoint(checkpoint(1))
    run.mark("finished")
    run.close()
    with pytest.raises(RunDirectoryError, match="changed: Ask"):
        open_run(tmp_path, ["a", "B"])
    with pytest.warns(ResumeNotice, match="Ask will recompute"):
        changed = open_run(tmp_path, ["a", "B"], resume=True)
    assert changed.checkpoint is None and changed.fingerprints == ["a", "B"]
    changed.close()


def test_another_output_is_refused_and_overwrite_clears(tmp_path: Path) -> None:
    run = open_run(tmp_path, ["a", "b"])
    run.close()
    with pytest.raises(RunDirectoryError, match="holds a run writing"):
        RunDirectory.open(tmp_path, STEPS, ["a", "b"], tmp_path / "other.jsonl")
    (tmp_path / "out.jsonl").write_text("old\n")
    fresh = open_run(tmp_path, ["a", "b"], overwrite=True)
    assert fresh.checkpoint is None and not (tmp_path / "out.jsonl").exists()
    fresh.close()


def test_requeued_dead_letters_come_back_by_step_in_input_order(tmp_path: Path) -> None:
    run = open_run(tmp_path, ["a", "b"])
    letters = DeadLetters(DeadLetter, run.store)
    letters.add(
        [
            DeadLetter("Ask", "f:1000", "boom", {"n": 1000}),
            DeadLetter("Ask", "f:900", "boom", {"n": 900}),
            DeadLetter("Clean", "f:5", "bad", {"n": 5}),
            DeadLetter("source", "f:7", "unreadable", None),
        ]
    )
    run.store.put_results("b", [("f:900", ["value", {"n": 900}, None])])
    run.close()
    assert requeue_dead_letters(tmp_path) == 3  # a source record cannot be retried

    run = open_run(tmp_path, ["a", "b"], resume=True)
    groups = run.take_requeued(STEPS)
    assert [(k, [d.id for d in ds]) for k, ds in groups] == [(0, ["f:5"]), (1, ["f:900", "f:1000"])]
    assert run.store.get_results("b", ["f:900"]) == [None]  # the retry calls the step again
    run.clear_requeued()
    assert run.take_requeued(STEPS) == []
    run.close()
