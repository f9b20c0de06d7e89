"""Hostile cases at the edges of a run (issue 9, items 1-6): output vs input, one process per run
directory, input identity, requeue retries. Each reproduces a way data was lost or doubled.

Every test runs streamflow as a user does (a real process, real files, a real run directory)
and checks what ends up on disk, not what the code meant to do.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from helpers import read_jsonl, write_jsonl
from hostile import (
    calls,
    project,
    rows,
    start,
    streamflow,
    texts,
    wait_for_calls,
)

# -- 1, 2: the output never clobbers or feeds an input -----------------------------------------


@pytest.mark.parametrize("variant", ["same", "dotted", "symlink", "hardlink", "glob", "run-dir"])
def test_output_that_is_an_input_is_refused_before_anything_opens(tmp_path, variant):
    cwd = project(tmp_path)
    before = (cwd / "in.jsonl").read_bytes()
    output = {"same": "in.jsonl", "dotted": "./in.jsonl", "glob": "in.jsonl"}.get(variant)
    args = ["-i", "*.jsonl" if variant == "glob" else "in.jsonl"]
    if variant == "symlink":
        (cwd / "link.jsonl").symlink_to(cwd / "in.jsonl")
        output = "link.jsonl"
    elif variant == "hardlink":
        os.link(cwd / "in.jsonl", cwd / "hard.jsonl")
        args = ["-i", "hard.jsonl"]
        output = "in.jsonl"
    elif variant == "run-dir":
        output = "in.jsonl"
        args += ["--run-dir", "rd"]
    done = streamflow(cwd, "run", "demo.py", *args, "-o", output, "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "in.jsonl" in done.stderr and "input" in done.stderr
    assert (cwd / "in.jsonl").read_bytes() == before


def test_csv_output_equal_to_its_csv_input_is_refused(tmp_path):
    cwd = project(tmp_path)
    (cwd / "in.csv").write_text("text\na\nb\n")
    done = streamflow(cwd, "run", "demo.py", "-i", "in.csv", "-o", "in.csv", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert (cwd / "in.csv").read_text() == "text\na\nb\n"


def test_output_inside_an_input_directory_is_refused(tmp_path):
    cwd = project(tmp_path)
    (cwd / "dd").mkdir()
    write_jsonl(cwd / "dd" / "a.jsonl", rows(20))
    done = streamflow(cwd, "run", "demo.py", "-i", "dd", "-o", "dd/out.jsonl", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "dd/out.jsonl" in done.stderr
    assert not (cwd / "dd" / "out.jsonl").exists()


def test_a_run_directory_inside_the_input_directory_is_not_read_back(tmp_path):
    cwd = project(tmp_path)
    (cwd / "dd").mkdir()
    write_jsonl(cwd / "dd" / "a.jsonl", rows(20))
    # a Parquet output is spooled as JSONL in the run directory, which the input dir contains
    args = ("run", "demo.py", "-i", "dd", "-o", "out.parquet", "--run-dir", "dd/rd")
    for _ in range(2):  # the second run sees the spool of the first, and must ignore it too
        done = streamflow(cwd, *args, "--no-progress", timeout=60)
        assert done.returncode == 0, done.stderr
    import pyarrow.parquet as pq

    assert pq.read_table(cwd / "out.parquet").column("text").to_pylist() == [
        r["text"] for r in rows(20)
    ]


# -- 3: one process per run directory ------------------------------------------------------------


def test_a_second_process_on_a_live_run_directory_is_refused_naming_the_first(tmp_path):
    cwd = project(tmp_path, n=400)
    # 40 batches at 0.6 s: about 24 s, so that every check below (six processes, each taking
    # seconds to start on a loaded machine) meets a live run
    first = start(
        cwd, "run", "demo.py", "--run-dir", "rd", "--batch-size", "10", env={"SLEEP": "0.6"}
    )
    try:
        wait_for_calls(cwd, 10, first)
        for extra in ((), ("--resume",), ("--overwrite",)):
            second = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", *extra, "--no-progress")
            assert second.returncode == 2, second.stderr
            assert f"pid {first.pid}" in second.stderr
            assert "--resume" not in second.stderr
        status = streamflow(cwd, "status", "rd", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["state"] == "running"
        assert streamflow(cwd, "deadletters", "rd").returncode == 0
        requeue = streamflow(cwd, "deadletters", "rd", "--requeue")
        assert requeue.returncode == 2 and f"pid {first.pid}" in requeue.stderr
        assert first.poll() is None, "the first run ended before the checks: make it longer"
    finally:
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(400)]


def test_a_killed_holder_does_not_block_the_next_run(tmp_path):
    cwd = project(tmp_path, n=400)
    first = start(
        cwd, "run", "demo.py", "--run-dir", "rd", "--batch-size", "10", env={"SLEEP": "0.1"}
    )
    wait_for_calls(cwd, 10, first)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    done = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--resume", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(400)]


# -- 4, 5: inputs are known by their content ------------------------------------------------------


def test_a_moved_input_is_the_same_input(tmp_path):
    cwd = project(tmp_path)
    assert streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress").returncode == 0
    (cwd / "in.jsonl").rename(cwd / "moved.jsonl")
    done = streamflow(cwd, "run", "demo.py", "-i", "moved.jsonl", "--run-dir", "rd")
    assert done.returncode == 0, done.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(50)]
    assert len(calls(cwd)) == 50


def test_kill_move_the_input_resume_is_exact(tmp_path):
    cwd = project(tmp_path, n=600)
    args = ("run", "demo.py", "--run-dir", "rd", "--batch-size", "20", "--checkpoint-interval", "0")
    first = start(cwd, *args, env={"SLEEP": "0.05"})
    wait_for_calls(cwd, 200, first)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    called = len(calls(cwd))
    (cwd / "in.jsonl").rename(cwd / "moved.jsonl")
    done = streamflow(cwd, *args, "-i", "moved.jsonl", "--resume", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(600)]
    redone = len(calls(cwd)) - 600
    assert redone <= 40, f"{redone} expensive calls repeated (at most the batches in flight)"
    assert called <= len(calls(cwd))


def test_an_input_rewritten_in_place_is_refused_not_mixed(tmp_path):
    cwd = project(tmp_path)
    assert streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress").returncode == 0
    write_jsonl(cwd / "in.jsonl", [{"text": f"new {i}"} for i in range(60)])
    done = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "in.jsonl" in done.stderr and "rewritten" in done.stderr
    assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(50)]
    again = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--overwrite", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert texts(cwd / "out.jsonl") == [f"new {i}" for i in range(60)]


def test_rewrite_during_a_kill_then_resume_is_refused(tmp_path):
    cwd = project(tmp_path, n=600)
    args = ("run", "demo.py", "--run-dir", "rd", "--batch-size", "20", "--checkpoint-interval", "0")
    first = start(cwd, *args, env={"SLEEP": "0.05"})
    wait_for_calls(cwd, 200, first)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    write_jsonl(cwd / "in.jsonl", [{"text": f"new {i}"} for i in range(600)])
    done = streamflow(cwd, *args, "--resume", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "rewritten" in done.stderr


# -- 6: requeue retries are exactly-once ----------------------------------------------------------

FLAKY = '''
import os, time
from streamflow import FileStorage, Generator, Pipeline


class Flaky(Generator):
    """Fails rows whose n is a multiple of 10 until `healed` exists; then slow."""

    expensive = True

    def process(self, rows, input_key, output_key):
        healed = os.path.exists("healed")
        out = []
        for r in rows:
            if r[input_key] % 10 == 0 and not healed:
                raise RuntimeError(f"row {r[input_key]} is flaky")
            out.append({**r, output_key: r[input_key] + 1})
        if healed:
            time.sleep(0.3)
        return out


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.flaky = Flaky()

    def forward(self):
        self.flaky.run(self.storage.step(), input_key="n", output_key="m")
'''


def test_kill_during_a_requeue_retry_then_resume_writes_each_row_once(tmp_path):
    (tmp_path / "job.py").write_text(FLAKY)
    write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(200)])
    assert streamflow(tmp_path, "run", "job.py", "--run-dir", "rd").returncode == 0
    assert streamflow(tmp_path, "deadletters", "rd", "--requeue").returncode == 0
    (tmp_path / "healed").touch()
    args = ("run", "job.py", "--run-dir", "rd", "--batch-size", "2", "--checkpoint-interval", "0")
    retry = start(tmp_path, *args)
    time.sleep(2.0)  # the retry of 20 rows takes ~3 s at 0.3 s a batch of 2
    retry.send_signal(signal.SIGKILL)
    retry.communicate()
    done = streamflow(tmp_path, *args, "--resume", "--no-progress")
    assert done.returncode == 0, done.stderr
    written = [r["n"] for r in read_jsonl(tmp_path / "out.jsonl")]
    assert sorted(written) == list(range(200)), "a requeued row was lost or written twice"


TWO_FLAKY_STEPS = '''
import os, time
from streamflow import FileStorage, Generator, Pipeline


class Flaky(Generator):
    """Fails rows whose n % 10 is `fails` until `healed` exists; then `slow` seconds a batch."""

    expensive = True

    def __init__(self, fails: int, slow: float) -> None:
        self.fails = fails
        self.slow = slow

    def process(self, rows, input_key, output_key):
        healed = os.path.exists("healed")
        out = []
        for r in rows:
            if r[input_key] % 10 == self.fails and not healed:
                raise RuntimeError(f"row {r[input_key]} is flaky")
            out.append({**r, output_key: r[input_key] + 1})
        if healed:
            time.sleep(self.slow)
        return out


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.first = Flaky(fails=0, slow=0.0)
        self.second = Flaky(fails=5, slow=0.3)

    def forward(self):
        self.first.run(self.storage.step(), input_key="n", output_key="a")
        self.second.run(self.storage.step(), input_key="n", output_key="b")
'''


def test_kill_between_two_requeued_steps_then_resume_writes_each_row_once(tmp_path):
    """Dead letters of two steps are retried one step after the other: a kill after the first
    step's retry committed must not retry (and write) its rows again."""
    (tmp_path / "job.py").write_text(TWO_FLAKY_STEPS)
    write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(200)])
    assert streamflow(tmp_path, "run", "job.py", "--run-dir", "rd").returncode == 0
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 160
    assert streamflow(tmp_path, "deadletters", "rd", "--requeue").returncode == 0
    (tmp_path / "healed").touch()
    args = ("run", "job.py", "--run-dir", "rd", "--batch-size", "2", "--checkpoint-interval", "0")
    retry = start(tmp_path, *args)
    # the first step's 20 rows pass both steps (0.3 s a batch of 2 in the second): about 3 s;
    # then the second step's 20 rows take about 3 s more: kill in the middle of those
    deadline = time.monotonic() + 60
    while len(read_jsonl(tmp_path / "out.jsonl")) < 180:
        assert retry.poll() is None, retry.communicate()
        assert time.monotonic() < deadline, "the retry made no progress"
        time.sleep(0.05)
    time.sleep(1.0)
    assert retry.poll() is None, "the retry ended before the kill"
    retry.send_signal(signal.SIGKILL)
    retry.communicate()
    done = streamflow(tmp_path, *args, "--resume", "--no-progress")
    assert done.returncode == 0, done.stderr
    written = [r["n"] for r in read_jsonl(tmp_path / "out.jsonl")]
    assert sorted(written) == list(range(200)), "a requeued row was lost or written twice"
