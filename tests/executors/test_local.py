"""Resumable runs: kill at any instant, resume, and get exactly an uninterrupted run's output."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO, read_jsonl, write_jsonl

PIPELINE = '''
import os, time
from streamflow import DatasetEvaluator, FileStorage, Filter, Generator, Pipeline, RowGenerator
from streamflow.operators.general_text import HashDeduplicateFilter


class Costly(Generator):
    """The expensive step: every call is counted in a side file."""

    expensive = True

    def __init__(self, factor: int = 3, calls: str = "calls.txt") -> None:
        self.factor = factor
        self.calls = calls

    def process(self, rows, input_key, output_key):
        with open(self.calls, "a") as f:
            f.write("".join(f"{r[input_key]}\\n" for r in rows))
        time.sleep(float(os.environ.get("PAUSE", "0.001")) * len(rows))
        return [{**r, output_key: r[input_key] * self.factor} for r in rows]


class NotSeven(Filter):
    def process(self, rows, input_key):
        return [(r[input_key] % 7 != 0, "multiple of 7") for r in rows]


class Split(RowGenerator):
    def process(self, rows, input_key, output_key):
        return [[{**r, output_key: k} for k in range(1 + (r[input_key] % 5 == 0))] for r in rows]


class Count(DatasetEvaluator):
    def __init__(self) -> None:
        self.rows = 0

    def observe(self, rows, input_key):
        self.rows += len(rows)

    def report(self):
        return {"rows": self.rows}


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file=os.environ.get("OUT", "out.jsonl"))
        self.not_seven = NotSeven()
        self.costly = Costly(factor=int(os.environ.get("FACTOR", "3")))
        self.split = Split()
        self.dedup = HashDeduplicateFilter()
        self.count = Count()

    def forward(self):
        self.not_seven.run(self.storage.step(), input_key="n")
        self.costly.run(self.storage.step(), input_key="n", output_key="m")
        self.split.run(self.storage.step(), input_key="n", output_key="part")
        self.dedup.run(self.storage.step(), input_keys=["text", "part"])
        self.count.run(self.storage.step(), input_key="n")
'''

BATCH = 25


def rows(start: int, stop: int) -> list[dict]:
    # every 10th text repeats an earlier one, so dedup has work across batches and runs
    return [{"n": i, "text": f"t{i % 600 if i % 10 == 3 else i}"} for i in range(start, stop)]


def project(tmp_path: Path, n: int = 1200) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "job.py").write_text(PIPELINE)
    write_jsonl(tmp_path / "in.jsonl", rows(0, n))
    return tmp_path


def environment(extra: dict | None = None) -> dict:
    """The test's environment; subprocesses import this checkout's streamflow."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def start(cwd: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamflow",
            "run",
            "job.py",
            "--run-dir",
            "rd",
            "--batch-size",
            str(BATCH),
            "--checkpoint-interval",
            "0.05",
            "--no-progress",
            *args,
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(env),
    )


def finish(cwd: Path, *args: str, env: dict | None = None) -> str:
    proc = start(cwd, *args, env=env)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    return stderr


def kill_once_running(cwd: Path, proc: subprocess.Popen, after: float = 0.5) -> None:
    """SIGKILL ``proc`` once its run has started (and ``after`` seconds more)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        out = subprocess.run(
            [sys.executable, "-m", "streamflow", "status", "rd", "--json"],
            cwd=cwd,
            capture_output=True,
            text=True,
        )
        if out.returncode == 0 and json.loads(out.stdout)["state"] == "running":
            break
        time.sleep(0.1)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def calls(cwd: Path) -> list[str]:
    path = cwd / "calls.txt"
    return path.read_text().split() if path.exists() else []


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[dict]:
    """The output of one uninterrupted run."""
    cwd = project(tmp_path_factory.mktemp("reference"))
    finish(cwd)
    return read_jsonl(cwd / "out.jsonl")


def test_kill_at_random_moments_then_resume(tmp_path, reference):
    rng = random.Random(20261124)
    distinct = len({r["n"] for r in reference} | {n for n in range(1200) if n % 7})
    for trial in range(20):
        cwd = project(tmp_path / f"trial{trial}")
        kills = 0
        for _ in range(rng.randint(1, 3)):
            proc = start(cwd, *(["--resume"] if kills else []))
            time.sleep(rng.uniform(0.6, 2.2))  # interpreter start-up is ~0.5 s
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        finish(cwd, "--resume")
        got = read_jsonl(cwd / "out.jsonl")
        assert got == reference, f"trial {trial}: output differs after {kills} kills"
        made = calls(cwd)
        assert len(made) <= distinct + kills * BATCH, (trial, kills, len(made), distinct)
        assert {int(n) for n in made} == {n for n in range(1200) if n % 7}


def test_resume_without_a_run_simply_starts(tmp_path, reference):
    cwd = project(tmp_path)
    finish(cwd, "--resume")
    assert read_jsonl(cwd / "out.jsonl") == reference


def test_unfinished_run_refuses_without_resume(tmp_path):
    cwd = project(tmp_path)
    kill_once_running(cwd, start(cwd, env={"PAUSE": "0.01"}))  # slow enough to be killed
    again = start(cwd)
    _, stderr = again.communicate(timeout=60)
    assert again.returncode == 2
    assert "unfinished run" in stderr and "--resume" in stderr and "--overwrite" in stderr


def test_overwrite_starts_over(tmp_path, reference):
    cwd = project(tmp_path)
    finish(cwd)
    finish(cwd, "--overwrite")
    assert read_jsonl(cwd / "out.jsonl") == reference
    assert len(calls(cwd)) == 2 * len({n for n in range(1200) if n % 7})


def test_changed_config_recomputes_that_step_and_downstream(tmp_path):
    cwd = project(tmp_path)
    finish(cwd)
    first_calls = len(calls(cwd))
    refused = start(cwd, env={"FACTOR": "5"})
    _, stderr = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "changed: Costly" in stderr

    stderr = finish(cwd, "--resume", env={"FACTOR": "5"})
    assert "Costly" in stderr and "will recompute" in stderr
    assert len(calls(cwd)) == 2 * first_calls  # Costly ran again on every row
    assert all(r["m"] == 5 * r["n"] for r in read_jsonl(cwd / "out.jsonl"))

    # the same configuration again: nothing left to compute
    finish(cwd, env={"FACTOR": "5"})
    assert len(calls(cwd)) == 2 * first_calls


def test_incremental_input_processes_only_new_rows(tmp_path, reference):
    cwd = project(tmp_path, n=800)
    finish(cwd)
    before = len(calls(cwd))
    with (cwd / "in.jsonl").open("ab") as f:  # lines appended to the same file
        f.write(b"".join(json.dumps(r).encode() + b"\n" for r in rows(800, 1200)))
    finish(cwd)
    new = calls(cwd)[before:]
    assert sorted(int(n) for n in new) == [n for n in range(800, 1200) if n % 7]
    # dedup saw the earlier run's texts; the evaluator counted across both runs
    assert read_jsonl(cwd / "out.jsonl") == reference
    report = json.loads((cwd / "rd" / "reports.json").read_text())
    assert report["Count"]["rows"] == len(reference)


def test_status_while_live_and_after_a_kill(tmp_path):
    cwd = project(tmp_path, n=3000)
    proc = start(cwd, env={"PAUSE": "0.01"})  # live for ~30 s: killed once status saw it
    try:
        deadline = time.monotonic() + 30
        live = None
        while time.monotonic() < deadline:
            out = subprocess.run(
                [sys.executable, "-m", "streamflow", "status", "rd", "--json"],
                cwd=cwd,
                capture_output=True,
                text=True,
            )
            if out.returncode == 0:
                live = json.loads(out.stdout)
                if live["state"] == "running" and live["progress"]:
                    break
            time.sleep(0.3)
        assert live is not None and live["state"] == "running"
        assert live["pid"] == proc.pid
        assert live["progress"]["steps"][1]["name"] == "NotSeven"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    after = json.loads(
        subprocess.run(
            [sys.executable, "-m", "streamflow", "status", "rd", "--json"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert after["state"] == "killed"
    assert after["dropped"] > 0


def test_parquet_output_is_exact_after_a_kill(tmp_path, reference):
    import pyarrow.parquet as pq

    cwd = project(tmp_path)
    env = {"OUT": "out.parquet"}
    kill_once_running(cwd, start(cwd, env=env))
    finish(cwd, "--resume", env=env)
    assert pq.read_table(cwd / "out.parquet").to_pylist() == reference


FLAKY = '''
import os, time
from streamflow import FileStorage, Generator, Pipeline, Refiner


class Flaky(Generator):
    """Fails rows whose n is a multiple of 10 until the file `healed` exists; then takes
    PAUSE seconds a batch."""

    expensive = True

    def process(self, rows, input_key, output_key):
        healed = os.path.exists("healed")
        out = []
        for r in rows:
            if r[input_key] % 10 == 0 and not healed:
                raise RuntimeError(f"row {r[input_key]} is flaky")
            out.append({**r, output_key: r[input_key] + 1})
        if healed:
            time.sleep(float(os.environ.get("PAUSE", "0")))
        return out


class Tag(Refiner):
    def process(self, rows, input_key):
        return [{**r, input_key: r[input_key] + "!"} for r in rows]


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.tag = Tag()
        self.flaky = Flaky()
        self.tag_again = Tag()

    def forward(self):
        self.tag.run(self.storage.step(), input_key="text")
        self.flaky.run(self.storage.step(), input_key="n", output_key="m")
        self.tag_again.run(self.storage.step(), input_key="text")
'''


def test_requeued_dead_letters_are_retried_from_their_step(tmp_path):
    (tmp_path / "job.py").write_text(FLAKY)
    write_jsonl(tmp_path / "in.jsonl", [{"n": i, "text": f"t{i}"} for i in range(100)])
    finish(tmp_path)
    first = read_jsonl(tmp_path / "out.jsonl")
    assert [r["n"] for r in first] == [n for n in range(100) if n % 10]

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "streamflow", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )

    exported = cli("deadletters", "rd", "--export", "dead.jsonl")
    assert exported.returncode == 0
    letters = read_jsonl(tmp_path / "dead.jsonl")
    assert sorted(d["id"].split(":")[1] for d in letters) and len(letters) == 10
    assert all(d["operator"] == "Flaky" and "is flaky" in d["error"] for d in letters)
    assert all(d["row"]["text"].endswith("!") for d in letters)  # as Flaky received it

    (tmp_path / "healed").touch()
    queued = cli("deadletters", "rd", "--requeue")
    assert queued.returncode == 0 and "10 dead letters queued" in queued.stderr
    finish(tmp_path)
    retried = read_jsonl(tmp_path / "out.jsonl")[len(first) :]
    assert [r["n"] for r in retried] == list(range(0, 100, 10))
    assert all(r["m"] == r["n"] + 1 and r["text"] == f"t{r['n']}!!" for r in retried)
    status = json.loads(cli("status", "rd", "--json").stdout)
    assert status["dead_letters"] == 0 and status["state"] == "finished"
    assert status["checkpoint"]["rows_written"] == 100


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streamflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment(),
    )


def test_kill_during_a_requeue_retry_then_resume(tmp_path):
    """Requeued rows are retried exactly once, however often the retry is killed."""
    rng = random.Random(9)
    for trial in range(4):
        cwd = tmp_path / f"trial{trial}"
        cwd.mkdir()
        (cwd / "job.py").write_text(FLAKY)
        write_jsonl(cwd / "in.jsonl", [{"n": i, "text": f"t{i}"} for i in range(100)])
        finish(cwd)
        assert cli(cwd, "deadletters", "rd", "--requeue").returncode == 0
        (cwd / "healed").touch()
        env = {"PAUSE": "0.3"}  # the retry: 5 batches of 2 rows, about 1.5 s
        for kill in range(2):
            proc = start(cwd, "--batch-size", "2", *(["--resume"] if kill else []), env=env)
            time.sleep(rng.uniform(0.8, 2.5))
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finish(cwd, "--resume", env=env)
        written = [r["n"] for r in read_jsonl(cwd / "out.jsonl")]
        assert sorted(written) == list(range(100)), f"trial {trial}: lost or doubled"
        status = json.loads(cli(cwd, "status", "rd", "--json").stdout)
        assert status["checkpoint"]["rows_written"] == 100


def test_kill_move_the_input_then_resume(tmp_path, reference):
    """Row ids come from the input's content: a resumed run over the moved input goes on."""
    cwd = project(tmp_path)
    kill_once_running(cwd, start(cwd, env={"PAUSE": "0.01"}))
    (cwd / "in.jsonl").rename(cwd / "moved.jsonl")
    finish(cwd, "--resume", "-i", "moved.jsonl")
    assert read_jsonl(cwd / "out.jsonl") == reference
    distinct = len({n for n in range(1200) if n % 7})
    assert len(calls(cwd)) <= distinct + BATCH  # at most the batch in flight repeated


def test_kill_grow_the_input_then_resume(tmp_path, reference):
    """An input that only grew (lines appended) while the run was down goes on."""
    cwd = project(tmp_path, n=800)
    kill_once_running(cwd, start(cwd, env={"PAUSE": "0.01"}))
    with (cwd / "in.jsonl").open("ab") as f:
        f.write(b"".join(json.dumps(r).encode() + b"\n" for r in rows(800, 1200)))
    finish(cwd, "--resume")
    assert read_jsonl(cwd / "out.jsonl") == reference


def test_kill_rewrite_the_input_then_resume_is_refused(tmp_path):
    """The same path with other content is not the same input: refused, never mixed."""
    cwd = project(tmp_path)
    kill_once_running(cwd, start(cwd, env={"PAUSE": "0.01"}))
    output = (cwd / "out.jsonl").read_bytes()
    write_jsonl(cwd / "in.jsonl", rows(1, 1201))  # every line moved by one row
    again = start(cwd, "--resume")
    _, stderr = again.communicate(timeout=60)
    assert again.returncode == 2, stderr
    assert "in.jsonl" in stderr and "rewritten" in stderr and "--overwrite" in stderr
    assert (cwd / "out.jsonl").read_bytes() == output  # the refused run changed nothing
    finish(cwd, "--overwrite")
    assert [r["n"] for r in read_jsonl(cwd / "out.jsonl")][:3] == [1, 2, 3]


def test_two_processes_on_one_run_directory(tmp_path, reference):
    """A second process is refused while the first runs; killing the first frees the run
    directory (the OS lock dies with it) and a resume ends exactly."""
    cwd = project(tmp_path)
    slow = {"PAUSE": "0.04"}  # 48 batches of 25 rows at 1 s each: live through the checks
    first = start(cwd, env=slow)
    try:
        deadline = time.monotonic() + 60
        while (
            json.loads(cli(cwd, "status", "rd", "--json").stdout or "{}").get("state") != "running"
        ):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        for extra in ((), ("--resume",), ("--overwrite",)):
            second = start(cwd, *extra)
            _, stderr = second.communicate(timeout=60)
            assert second.returncode == 2, stderr
            assert f"pid {first.pid}" in stderr and "--resume" not in stderr
        assert first.poll() is None, "the first run ended before the checks"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    finish(cwd, "--resume")
    assert read_jsonl(cwd / "out.jsonl") == reference
