"""Hostile cases of issue 9 about outcomes (items 11, 14, 15, 17): a run reports what really
happened, and an ordinary mistake gets one paragraph and the documented exit code.

Every test runs streamflow as a user does (a real process, real files, a real run directory)
and checks the exit status, what was said and what is on disk.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from helpers import write_jsonl
from hostile import (
    project,
    rows,
    start,
    streamflow,
    texts,
    wait_for_calls,
)

FAILING = """
from streamflow import FileStorage, Generator, Pipeline


class Broken(Generator):
    def process(self, rows, input_key):
        raise ConnectionError("wrong base_url: connection refused")


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.broken = Broken()

    def forward(self):
        self.broken.run(self.storage.step(), input_key="text")
"""

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


def one_paragraph(stderr: str) -> bool:
    return "Traceback" not in stderr and stderr.strip().count("\n\n") == 0


# -- 11: a run where (nearly) everything failed does not pass for a success -----------------------


@pytest.mark.parametrize("run_dir", [False, True])
def test_a_small_run_where_every_row_failed_exits_1(tmp_path, run_dir):
    cwd = project(tmp_path, n=24)
    (cwd / "job.py").write_text(FAILING)
    extra = ("--run-dir", "rd") if run_dir else ()
    done = streamflow(cwd, "run", "job.py", *extra, "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "24 of 24" in done.stderr
    assert "connection refused" in done.stderr  # the reasons, grouped, even without a store
    assert "Traceback" not in done.stderr
    if run_dir:
        assert "streamflow deadletters rd" in done.stderr
        status = json.loads(streamflow(cwd, "status", "rd", "--json").stdout)
        assert status["state"] == "failed" and status["dead_letters"] == 24


def test_a_small_run_under_the_limit_still_succeeds_and_groups_its_reasons(tmp_path):
    (tmp_path / "job.py").write_text(FLAKY)
    write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(40)])  # 4 of 40 fail: 10%
    done = streamflow(tmp_path, "run", "job.py", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "36 rows written" in done.stderr
    # without a run directory the failures are summarised, not discarded
    assert "RuntimeError: row" in done.stderr and "flaky" in done.stderr


# -- 14, 15: ordinary mistakes get one paragraph and the documented exit code ---------------------


def test_output_on_a_full_disk(tmp_path):
    cwd = project(tmp_path)
    (cwd / "full.jsonl").symlink_to("/dev/full")
    done = streamflow(cwd, "run", "demo.py", "-o", "full.jsonl", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert "full.jsonl" in done.stderr and one_paragraph(done.stderr), done.stderr


@pytest.mark.parametrize("kind", ["file", "dangling"])
def test_a_run_dir_that_is_a_file_or_a_dangling_symlink(tmp_path, kind):
    cwd = project(tmp_path)
    if kind == "file":
        (cwd / "rd").write_text("not a directory")
    else:
        (cwd / "rd").symlink_to(cwd / "nowhere" / "rd")
    done = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "rd" in done.stderr and one_paragraph(done.stderr), done.stderr
    assert not (cwd / "out.jsonl").exists()


def test_deadletters_export_to_a_directory_or_unwritable_path(tmp_path):
    cwd = project(tmp_path)
    (cwd / "job.py").write_text(FAILING)
    streamflow(cwd, "run", "job.py", "--run-dir", "rd", "--no-progress")
    (cwd / "adir").mkdir()
    for target in ("adir", "missing/dir/dead.jsonl"):
        done = streamflow(cwd, "deadletters", "rd", "--export", target)
        assert done.returncode == 2, done.stderr
        assert target in done.stderr and one_paragraph(done.stderr), done.stderr


def test_an_operator_constructor_raising_in_init_is_an_unloadable_pipeline(tmp_path):
    (tmp_path / "bad.py").write_text(
        "from streamflow import FileStorage, Pipeline\n"
        "from streamflow.operators.general_text import WordNumberFilter\n"
        "class Bad(Pipeline):\n"
        "    def __init__(self):\n"
        "        self.storage = FileStorage('in.jsonl')\n"
        "        self.f = WordNumberFilter(min_words=-5, max_words=-10)\n"
        "    def forward(self):\n"
        "        self.f.run(self.storage.step(), input_key='text')\n"
    )
    write_jsonl(tmp_path / "in.jsonl", rows(3))
    done = streamflow(tmp_path, "run", "bad.py", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "WordNumberFilter" in done.stderr and one_paragraph(done.stderr), done.stderr
    assert "bad.py" in done.stderr


@pytest.mark.parametrize("flag", ["--resume", "--overwrite"])
def test_resume_or_overwrite_without_a_run_directory_is_an_error(tmp_path, flag):
    cwd = project(tmp_path)
    done = streamflow(cwd, "run", "demo.py", flag, "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "--run-dir" in done.stderr
    assert not (cwd / "out.jsonl").exists()


@pytest.mark.parametrize("flag", ["resume", "overwrite"])
def test_resume_or_overwrite_without_a_run_directory_is_refused_by_the_api(tmp_path, flag):
    from helpers import Chain

    from streamflow.operators.general_text import ColonEndFilter

    src = write_jsonl(tmp_path / "in.jsonl", rows(3))
    chain = Chain([(ColonEndFilter(), {"input_key": "text"})], entry_file=str(src))
    with pytest.raises(ValueError, match=f"{flag}=True needs a run_dir"):
        chain.run(output=tmp_path / "out.jsonl", **{flag: True})
    assert not (tmp_path / "out.jsonl").exists()


def test_overwrite_follows_no_symlink_out_of_the_run_directory(tmp_path):
    cwd = project(tmp_path)
    assert streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress").returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me")
    (cwd / "rd" / "store").rename(elsewhere / "store")
    (cwd / "rd" / "store").symlink_to(elsewhere / "store")
    done = streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--overwrite", "--no-progress")
    assert (elsewhere / "precious.txt").read_text() == "keep me"
    assert (elsewhere / "store").is_dir(), "--overwrite deleted through a symlink"
    if done.returncode != 0:
        assert one_paragraph(done.stderr) and "store" in done.stderr, done.stderr
        assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(50)], "output deleted"
    else:
        assert texts(cwd / "out.jsonl") == [r["text"] for r in rows(50)]


def test_a_failed_overwrite_clean_up_is_reported(tmp_path, monkeypatch):
    """A store --overwrite cannot delete (permissions; tested in-process because the tests may
    run as root) stops the run naming it, before the output is touched."""
    import shutil

    from streamflow.store import rundir

    cwd = project(tmp_path)
    assert streamflow(cwd, "run", "demo.py", "--run-dir", "rd", "--no-progress").returncode == 0
    store = cwd / "rd" / "store"

    def refuse(path, ignore_errors=False, **kwargs):
        if ignore_errors:  # as the real one: the failure is swallowed
            return
        raise PermissionError(13, "Permission denied", str(Path(path) / "data.mdb"))

    monkeypatch.setattr(shutil, "rmtree", refuse)
    with pytest.raises(rundir.RunDirectoryError, match=r"could not delete .*store/data.mdb"):
        rundir.RunDirectory.open(cwd / "rd", ["a"], ["fp"], cwd / "out.jsonl", overwrite=True)
    assert store.is_dir() and len(texts(cwd / "out.jsonl")) == 50


def test_unknown_constructor_arguments_name_the_operator():
    from streamflow.operators.general_text import ColonEndFilter, WordNumberFilter

    with pytest.raises(TypeError, match=r"ColonEndFilter.*bogus"):
        ColonEndFilter(bogus=1)
    with pytest.raises(TypeError, match=r"ColonEndFilter.*takes no"):
        ColonEndFilter(3)
    with pytest.raises(TypeError, match=r"WordNumberFilter.*bogus"):
        WordNumberFilter(min_words=1, bogus=1)
    assert ColonEndFilter().config == {}


# -- 17: small ones --------------------------------------------------------------------------------


def test_a_deleted_output_is_reported_as_missing(tmp_path):
    cwd = project(tmp_path, n=400)
    args = ("run", "demo.py", "--run-dir", "rd", "--batch-size", "10", "--checkpoint-interval", "0")
    first = start(cwd, *args, env={"SLEEP": "0.05"})
    wait_for_calls(cwd, 100, first)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    (cwd / "out.jsonl").unlink()
    done = streamflow(cwd, *args, "--resume", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "-1" not in done.stderr and "missing" in done.stderr


def test_deadletters_limit_must_be_positive(tmp_path):
    cwd = project(tmp_path)
    (cwd / "job.py").write_text(FAILING)
    streamflow(cwd, "run", "job.py", "--run-dir", "rd", "--no-progress")
    assert streamflow(cwd, "deadletters", "rd", "--limit", "-1").returncode == 2


def test_a_run_that_only_retried_requeued_rows_reports_what_it_wrote(tmp_path):
    (tmp_path / "job.py").write_text(FLAKY)
    write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(40)])
    streamflow(tmp_path, "run", "job.py", "--run-dir", "rd")
    queued = streamflow(tmp_path, "deadletters", "rd", "--requeue")
    status = json.loads(streamflow(tmp_path, "status", "rd", "--json").stdout)
    assert status["requeued"] == 4, status
    plain = streamflow(tmp_path, "status", "rd").stdout
    assert "requeued" in plain and queued.returncode == 0
    (tmp_path / "healed").touch()
    done = streamflow(tmp_path, "run", "job.py", "--run-dir", "rd", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "4 rows written" in done.stderr
    status = json.loads(streamflow(tmp_path, "status", "rd", "--json").stdout)
    assert status["requeued"] == 0, status


def test_an_extension_exiting_at_import_is_named(tmp_path):
    (tmp_path / "ext.py").write_text("import sys\nsys.exit(3)\n")
    done = streamflow(tmp_path, "run", "ext.py", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "ext.py" in done.stderr and "exit" in done.stderr


def test_progress_without_a_terminal_is_plain_lines(tmp_path):
    cwd = project(tmp_path, n=300)
    done = streamflow(cwd, "run", "demo.py", "--batch-size", "10", env={"SLEEP": "0.05"})
    assert done.returncode == 0, done.stderr
    assert "dro…" not in done.stderr and "fail…" not in done.stderr
    assert "…" not in done.stderr, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("progress")]
    assert progress, done.stderr  # periodic plain lines, not a live table
