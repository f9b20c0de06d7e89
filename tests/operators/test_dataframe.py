"""DataFlow's custom DataFrame operators (``run(storage, ...)`` over ``storage.read("dataframe")``,
ending in ``storage.write(df)``) as a whole-dataset stage: a DataFlow-shaped file written here
goes through ``streamflow migrate --write`` and runs with ``streamflow run`` and ``python FILE``,
giving what DataFlow's file-per-step model gives (reproduced with pandas, as DataFlow's
FileStorage does it); resume after completion and after a kill; clear errors naming the operator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, read_jsonl, run_python, run_streamflow, write_jsonl

from streamflow import CompileWarning, FileStorage, Generator, Pipeline, ResumeNotice
from streamflow.errors import CompileError, StreamflowError
from streamflow.extras import MissingDependency
from streamflow.operators.dataframe import (
    DataFrameOperator,
    DataFrameOperatorError,
    FrameStorage,
    is_dataframe_operator,
)
from streamflow.rows import Batch

pd = pytest.importorskip("pandas")

DATAFLOW_FILE = '''\
import pandas as pd

from dataflow.operators.general_text import RemoveExtraSpacesRefiner
from dataflow.utils.registry import OPERATOR_REGISTRY
from dataflow.utils.storage import DataFlowStorage, FileStorage


@OPERATOR_REGISTRY.register()
class KeywordRanker:
    """A user's own DataFlow operator: counts keyword hits, keeps rows with enough of them,
    best first."""

    def __init__(self, keywords, min_hits=1):
        self.keywords = set(keywords)
        self.min_hits = min_hits

    def run(self, storage: DataFlowStorage, input_key: str = "text", output_key: str = "hits"):
        df = storage.read("dataframe")
        words = df[input_key].str.lower().str.split()
        df[output_key] = words.apply(lambda ws: sum(w in self.keywords for w in ws))
        df["share"] = df[output_key] / words.str.len()
        df = df[df[output_key] >= self.min_hits]
        df = df.sort_values([output_key, input_key], ascending=[False, True])
        with open("frames.txt", "a") as f:  # how many rows each call saw
            f.write(f"{len(words)}\\n")
        storage.write(df)


class RankPipeline():
    def __init__(self):
        self.storage = FileStorage("input.jsonl", "./cache", "dataflow_cache_step", "jsonl")
        self.spaces = RemoveExtraSpacesRefiner()
        self.ranker = KeywordRanker(keywords=["data", "flow"], min_hits=1)

    def forward(self):
        self.spaces.run(storage=self.storage.step(), input_key="text")
        self.ranker.run(storage=self.storage.step(), input_key="text", output_key="hits")


if __name__ == "__main__":
    pipeline = RankPipeline()
    pipeline.forward()
'''

ROWS = [
    {"text": "data  flow is   data", "source": "a"},
    {"text": "nothing here"},
    {"text": "flow   three words", "source": "b"},
    {"text": " Data and more data and flow "},
    {"text": "plain words only", "source": "c"},
    {"text": "flow data"},
]


def dataflow_reference(workdir: Path) -> list[dict[str, Any]]:
    """What DataFlow's FileStorage makes of ROWS: each step reads the previous step's JSON
    lines with ``pandas.read_json``, and writes its frame with ``to_json(orient="records",
    lines=True)`` (after its cleaning map); the rows are those of the last step file."""
    workdir.mkdir()
    entry = write_jsonl(workdir / "input.jsonl", ROWS)
    step0 = pd.read_json(entry, lines=True)
    step0["text"] = step0["text"].map(lambda t: " ".join(t.split()))  # RemoveExtraSpacesRefiner
    step0.to_json(workdir / "step1.jsonl", orient="records", lines=True, force_ascii=False)
    df = pd.read_json(workdir / "step1.jsonl", lines=True)
    words = df["text"].str.lower().str.split()
    df["hits"] = words.apply(lambda ws: sum(w in {"data", "flow"} for w in ws))
    df["share"] = df["hits"] / words.str.len()
    df = df[df["hits"] >= 1].sort_values(["hits", "text"], ascending=[False, True])
    df.to_json(workdir / "step2.jsonl", orient="records", lines=True, force_ascii=False)
    return [json.loads(line) for line in (workdir / "step2.jsonl").read_text().splitlines()]


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    """The DataFlow file after ``streamflow migrate --write``, with its input beside it."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pipeline.py").write_text(DATAFLOW_FILE)
    write_jsonl(project / "input.jsonl", ROWS)
    done = run_streamflow("migrate", "pipeline.py", "--write", cwd=project)
    assert done.returncode == 0, done.stderr
    text = (project / "pipeline.py").read_text()
    assert "dataflow" not in text.replace("dataflow_cache_step", "")
    assert "class KeywordRanker:" in text  # the custom operator stays a plain class
    return project


def test_migrated_file_runs_the_dataframe_operator_as_dataflow_would(
    migrated: Path, tmp_path: Path
) -> None:
    expected = dataflow_reference(tmp_path / "dataflow")
    assert [r["text"] for r in expected] == [  # the reference itself: filtered and ranked
        "Data and more data and flow",
        "data flow is data",
        "flow data",
        "flow three words",
    ]
    assert expected[0]["source"] is None  # a field the row lacked: null, as in DataFlow
    assert expected[1]["share"] == 0.75 and expected[3]["share"] == 0.3333333333

    run = run_streamflow(
        "run", "pipeline.py", "--output", "out.jsonl", "--run-dir", "run", cwd=migrated
    )
    assert run.returncode == 0, run.stderr
    assert read_jsonl(migrated / "out.jsonl") == expected
    assert "holds every row in memory" in run.stderr + run.stdout

    script = run_python("pipeline.py", cwd=migrated)  # forward() runs the migrated Pipeline
    assert script.returncode == 0, script.stderr
    assert read_jsonl(migrated / "cache" / "dataflow_cache_step_output.jsonl") == expected
    assert (migrated / "frames.txt").read_text().split() == ["6", "6"]

    again = run_streamflow(
        "run", "pipeline.py", "--output", "out.jsonl", "--run-dir", "run", "--resume",
        cwd=migrated,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "0 rows written" in again.stdout + again.stderr
    assert read_jsonl(migrated / "out.jsonl") == expected
    assert (migrated / "frames.txt").read_text().split() == ["6", "6"]  # not called again


def test_unmigrated_file_run_step_by_step_writes_dataflows_step_files(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    text = DATAFLOW_FILE.replace("from dataflow.operators.", "from streamflow.operators.")
    (project / "pipeline.py").write_text(text.replace("dataflow.utils", "streamflow.utils"))
    write_jsonl(project / "input.jsonl", ROWS)
    done = run_python("pipeline.py", cwd=project)
    assert done.returncode == 0, done.stderr
    got = read_jsonl(project / "cache" / "dataflow_cache_step_step2.jsonl")
    assert got == dataflow_reference(tmp_path / "dataflow")


# -- resume after a kill ---------------------------------------------------------------------

KILLED_FILE = """\
import os, time
from streamflow import FileStorage, Generator, Pipeline


class Costly(Generator):
    expensive = True

    def process(self, rows, input_key, output_key):
        with open("calls.txt", "a") as f:
            f.write("".join(f"{r[input_key]}\\n" for r in rows))
        time.sleep(0.01 * len(rows))
        return [{**r, output_key: r[input_key] * 3} for r in rows]


class EveryThird:
    def run(self, storage, input_key="m"):
        df = storage.read("dataframe")
        with open("frames.txt", "a") as f:
            f.write(f"{len(df)}\\n")
        storage.write(df[df[input_key] % 9 == 0].sort_values(input_key, ascending=False))


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.costly = Costly()
        self.third = EveryThird()

    def forward(self):
        self.costly.run(self.storage.step(), input_key="n", output_key="m")
        self.third.run(self.storage.step(), input_key="m")
"""


RUN = [sys.executable, "-m", "streamflow", "run", "job.py", "--run-dir", "rd", "--no-progress"]
RUN += ["--batch-size", "10", "--checkpoint-interval", "0.05"]


def start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [*RUN, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_a_killed_run_resumes_without_redoing_committed_expensive_work(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(KILLED_FILE)
    write_jsonl(tmp_path / "in.jsonl", [{"n": i} for i in range(300)])
    proc = start(tmp_path)
    deadline = time.monotonic() + 60
    while len(lines(tmp_path / "calls.txt")) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not lines(tmp_path / "frames.txt")  # the stage had not run: it holds until the end
    done_before = len(lines(tmp_path / "calls.txt"))

    resumed = start(tmp_path, "--resume")
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    expected = [{"n": n, "m": 3 * n} for n in range(297, -1, -3)]
    assert read_jsonl(tmp_path / "out.jsonl") == expected
    assert lines(tmp_path / "frames.txt") == ["300"]  # once, over every row
    called = [int(n) for n in lines(tmp_path / "calls.txt")]
    assert sorted(set(called)) == list(range(300))
    # committed batches were replayed, not recomputed: at most the batch in flight again
    assert len(called) <= 300 + 10, (done_before, len(called))


# -- in process: ids, drops, errors ----------------------------------------------------------


class Tagger:
    """A DataFrame operator whose behaviour each test chooses."""

    failing = False
    """Set on the class (so not in the step's configuration): run() raises, as a crash would."""

    def __init__(self, how: str = "tag") -> None:
        self.how = how

    def run(self, storage: Any, input_key: str = "text", output_key: str = "tag") -> None:
        df = storage.read("dataframe")
        if Tagger.failing:
            raise RuntimeError("the machine went away")
        if self.how == "raise":
            raise KeyError("no such column")
        if self.how == "string":
            storage.write("not a frame")
            return
        if self.how == "nothing":
            return
        df[output_key] = df[input_key].str.upper()
        if self.how == "reset":
            df = df[df[input_key] != "b"].reset_index(drop=True)
        elif self.how == "grow":
            df = pd.concat([df, df.head(1)])
        else:
            df = df[df[input_key] != "b"].iloc[::-1]
        storage.write(df)


class Shout(Generator):
    def process(
        self, rows: list[dict[str, Any]], input_key: str, output_key: str
    ) -> list[dict[str, Any]]:
        return [{**r, output_key: r[input_key] + "!"} for r in rows]


class TagPipeline(Pipeline):
    def __init__(self, src: Path, out: Path, how: str = "tag", run_dir: Path | None = None):
        self.storage = FileStorage(str(src), output_file=out, run_dir=run_dir)
        self.tagger = Tagger(how)
        self.shout = Shout()

    def forward(self) -> None:
        self.tagger.run(self.storage.step(), input_key="text", output_key="tag")
        self.shout.run(self.storage.step(), input_key="tag", output_key="loud")


TEXTS = [{"text": t} for t in ["a", "b", "c", "d"]]


def test_rows_keep_their_ids_through_the_frame_and_dropped_rows_are_recorded(
    tmp_path: Path,
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", TEXTS)
    with pytest.warns(CompileWarning, match="Tagger runs once over the whole dataset"):
        result = TagPipeline(src, tmp_path / "out.jsonl", run_dir=tmp_path / "run").run()
    assert read_jsonl(tmp_path / "out.jsonl") == [
        {"text": t, "tag": t.upper(), "loud": t.upper() + "!"} for t in "dca"
    ]
    tagger = result.stats.operators[0]
    assert (tagger.name, tagger.rows_in, tagger.rows_out, tagger.dropped) == ("Tagger", 4, 3, 1)
    (drop,) = result.dropped.records()
    assert (drop.operator, drop.reason) == ("Tagger", "not among the rows Tagger emitted")
    assert "@" not in drop.id and "/" not in drop.id  # row "b", by its source id


def test_output_ids_follow_the_index_and_are_stable_otherwise() -> None:
    ids = ["f:0", "f:1", "f:2"]
    rows = [{"text": t} for t in "abc"]
    kept = DataFrameOperator(Tagger()).transform(Batch(ids, rows), input_key="text")
    assert kept.ids == ["f:2", "f:0"]
    reset = DataFrameOperator(Tagger("reset")).transform(Batch(ids, rows), input_key="text")
    assert reset.ids == ["f:0", "f:1"]  # a reset index is taken as positions
    grown = DataFrameOperator(Tagger("grow")).transform(Batch(ids, rows), input_key="text")
    assert grown.ids[:3] == ids and grown.ids[3].startswith("Tagger@")
    again = DataFrameOperator(Tagger("grow")).transform(Batch(ids, rows), input_key="text")
    assert again.ids == grown.ids  # deterministic
    other = DataFrameOperator(Tagger("grow")).transform(Batch(["g:0"], rows[:1]), input_key="text")
    assert other.ids[1] != grown.ids[3]  # other input, other new ids


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("raise", r"Tagger\.run\(\) raised KeyError: 'no such column' .*4 rows"),
        ("string", r"Tagger\.run\(\) called storage\.write\(\) with str"),
        ("nothing", r"Tagger\.run\(\) returned without calling storage\.write"),
    ],
)
def test_a_failing_operator_fails_the_run_naming_it(tmp_path: Path, how: str, message: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", TEXTS)
    with pytest.warns(CompileWarning), pytest.raises(DataFrameOperatorError, match=message):
        TagPipeline(src, tmp_path / "out.jsonl", how).run()


def test_a_failed_run_resumes_and_the_stage_sees_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", TEXTS)
    out, run_dir = tmp_path / "out.jsonl", tmp_path / "run"
    monkeypatch.setattr(Tagger, "failing", True)
    with pytest.warns(CompileWarning), pytest.raises(DataFrameOperatorError, match="went away"):
        TagPipeline(src, out, "tag", run_dir).run(checkpoint_interval=0.0, batch_size=1)
    monkeypatch.setattr(Tagger, "failing", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResumeNotice)  # same configuration: a plain resume
        warnings.simplefilter("ignore", CompileWarning)
        result = TagPipeline(src, out, "tag", run_dir).run(resume=True)
    assert result.rows_written == 3
    assert [r["text"] for r in read_jsonl(out)] == ["d", "c", "a"]


def test_later_steps_may_read_columns_the_frame_made_without_naming_them(tmp_path: Path) -> None:
    class Lengths:
        def run(self, storage: Any, input_key: str = "text") -> None:
            df = storage.read("dataframe")
            df["length"] = df[input_key].str.len()
            storage.write(df.to_dict(orient="records"))

    class Job(Pipeline):
        def __init__(self) -> None:
            self.storage = FileStorage(str(write_jsonl(tmp_path / "in.jsonl", TEXTS)))
            self.ops = [Lengths()]  # found inside a list attribute too
            self.shout = Shout()

        def forward(self) -> None:
            self.ops[0].run(self.storage.step())
            self.shout.run(self.storage.step(), input_key="length", output_key="loud")

    with pytest.warns(CompileWarning):
        plan = Job().compile()
    assert [s.label for s in plan.steps] == ["Lengths", "Shout"]
    assert plan.steps[1].depends_on == (0,)
    assert plan.steps[0].keys == {"input_key": "text"}  # run()'s defaults are the step's keys

    class Broken(Job):
        def forward(self) -> None:
            self.ops[0].run(self.storage.step(), input_key="nope")

    with pytest.raises(CompileError, match="input key 'nope' is not produced"):
        Broken().compile()


def test_an_operator_made_inside_forward_gets_an_explanation(tmp_path: Path) -> None:
    class Job(Pipeline):
        def __init__(self) -> None:
            self.storage = FileStorage(str(write_jsonl(tmp_path / "in.jsonl", TEXTS)))

        def forward(self) -> None:
            Tagger().run(self.storage.step())

    with pytest.raises(StreamflowError, match=r"Tagger\.run\(\) called storage\.read\(\) while"):
        Job().compile()


def test_which_objects_are_dataframe_operators() -> None:
    from streamflow.core import OperatorABC

    class Legacy(OperatorABC):  # DataFlow's base class, which is ours under its name
        def run(self, storage: Any, input_key: str = "text") -> None:  # type: ignore[override]
            storage.write(storage.read("dataframe"))

    assert is_dataframe_operator(Tagger())
    assert is_dataframe_operator(Legacy())
    assert not is_dataframe_operator(Tagger)  # a class, not an operator
    assert not is_dataframe_operator(Shout())  # one of our kinds: it streams
    assert not is_dataframe_operator(FileStorage("x.jsonl"))


def test_frame_storage_reads_fresh_frames_and_dicts() -> None:
    storage = FrameStorage([{"a": 1}, {"a": 2}], "Op")
    first = storage.read()
    first["a"] = 0
    assert storage.read("dict") == [{"a": 1}, {"a": 2}]  # as DataFlow reads its file again
    assert storage.get_keys_from_dataframe() == ["a"]
    with pytest.raises(DataFrameOperatorError, match=r"Op: storage\.read\('json'\)"):
        storage.read("json")
    with pytest.raises(DataFrameOperatorError, match="with an empty list"):
        storage.write([])


def test_without_pandas_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependency, match=r"pip install '.*\[pandas\]'"):
        DataFrameOperator(Tagger()).transform(Batch(["f:0"], [{"text": "a"}]), input_key="text")


async def test_a_session_gets_the_frame_once_the_input_is_closed(tmp_path: Path) -> None:
    pipeline = TagPipeline(write_jsonl(tmp_path / "in.jsonl", TEXTS), tmp_path / "out.jsonl")
    with pytest.warns(CompileWarning):
        async with pipeline.session(source_fields=["text"], batch_size=2) as session:
            for row in TEXTS:
                await session.send(row)
            await session.close()
            results = [result async for result in session]
    assert [(r.row["text"], r.row["loud"]) for r in results] == [
        ("d", "D!"),
        ("c", "C!"),
        ("a", "A!"),
    ]
