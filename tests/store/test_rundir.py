"""A run directory's records decide, from labels and fingerprints alone, whether a run starts
fresh, resumes, continues incrementally or is refused; requeued rows come back by step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

from streamflow.store.deadletters import DeadLetter, DeadLetters
from streamflow.store.rundir import (
    Checkpoint,
    ResumeNotice,
    RunDirectory,
    RunDirectoryBusy,
    RunDirectoryError,
    requeue_dead_letters,
)

STEPS = ["Clean", "Ask"]


def environment() -> dict[str, str]:
    """Subprocesses import this checkout's streamflow."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


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


def test_a_retry_leaves_the_queue_with_its_checkpoint(tmp_path: Path) -> None:
    """Each step's group leaves the queue in its checkpoint's transaction; results forgotten
    once stay forgotten, so a killed retry keeps what it committed."""
    run = open_run(tmp_path, ["a", "b"])
    DeadLetters(DeadLetter, run.store).add(
        [DeadLetter("Clean", "f:5", "bad", {"n": 5}), DeadLetter("Ask", "f:9", "boom", {"n": 9})]
    )
    run.close()
    requeue_dead_letters(tmp_path)

    run = open_run(tmp_path, ["a", "b"], resume=True)
    groups = run.take_requeued(STEPS)
    assert [k for k, _ in groups] == [0, 1]
    ask = groups[1][1]
    run.store.put_results("a", [("f:5", ["retried", {"n": 5}, None])])  # the retry committed
    run.record_checkpoint(checkpoint(1), requeue=ask)  # the first group is done
    run.close()  # killed before the second group

    run = open_run(tmp_path, ["a", "b"], resume=True)
    assert [(k, [d.id for d in ds]) for k, ds in run.take_requeued(STEPS)] == [(1, ["f:9"])]
    assert run.checkpoint == checkpoint(1)
    run.close()
    run = open_run(tmp_path, ["a", "b"], resume=True)  # killed again, before any commit
    assert [k for k, _ in run.take_requeued(STEPS)] == [1]
    assert run.store.get_results("a", ["f:5"]) == [["retried", {"n": 5}, None]]
    run.record_checkpoint(checkpoint(2), requeue=[])
    assert run.take_requeued(STEPS) == []
    run.close()


def test_one_process_per_run_directory(tmp_path: Path) -> None:
    run = open_run(tmp_path, ["a", "b"])
    assert (tmp_path / "lock").read_text().strip() == str(os.getpid())
    with pytest.raises(RunDirectoryBusy, match=rf"pid {os.getpid()}") as info:
        open_run(tmp_path, ["a", "b"], overwrite=True)
    assert "--resume" not in str(info.value)
    assert (tmp_path / "store").is_dir()  # the refused --overwrite deleted nothing
    with pytest.raises(RunDirectoryBusy):
        requeue_dead_letters(tmp_path)
    run.close()
    open_run(tmp_path, ["a", "b"], resume=True).close()  # free again once closed


def test_a_dead_holder_leaves_no_lock(tmp_path: Path) -> None:
    """The lock is the OS's: a process that dies without closing anything releases it."""
    holder = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from streamflow.store.rundir import RunDirectory\n"
        "p = Path(sys.argv[1])\n"
        "RunDirectory.open(p, ['Clean', 'Ask'], ['a', 'b'], p / 'out.jsonl')\n"
        "os._exit(0)  # no close, no clean-up\n"
    )
    subprocess.run([sys.executable, "-c", holder, str(tmp_path)], check=True, env=environment())
    open_run(tmp_path, ["a", "b"], resume=True).close()  # not RunDirectoryBusy


def test_a_run_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rd").write_text("not a directory")
    with pytest.raises(RunDirectoryError, match="rd"):
        open_run(tmp_path / "rd", ["a", "b"])
