"""Input shards read by the Ray workers (``streamflow.executors.ray.shards``), on a real local
Ray cluster (two CPUs on loopback, shared by the session; see ``conftest.py``).

The pipeline (``shard_pipeline.py``) is cheap stateless steps only: refiners, a filter that
drops rows and a rule that fails some, so the whole plan runs shard by shard in the workers.
Every test compares with the local executor on the same input, byte for byte: the output, the
per-step counts, the dead letters (bad records name their file and line) and the dropped rows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, wait_for

ray = pytest.importorskip("ray")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from shard_pipeline import ShardTestPipeline, lines  # noqa: E402

from streamflow.executors.ray import PoolSizes, RayExecutor  # noqa: E402

BATCH = 16


def write_input(directory: Path, sizes: tuple[int, ...] = (300, 200, 250)) -> Path:
    """Files of JSON lines: one with a bad record and a blank line, the last without a final
    newline."""
    directory.mkdir(parents=True, exist_ok=True)
    for k, n in enumerate(sizes):
        data = lines(0, n, k)
        if k == 1:
            data[17] = b'{"text": "broken\n'
            data[8] = b"\n"
        if k == len(sizes) - 1:
            data[-1] = data[-1].rstrip(b"\n")
        (directory / f"part{k}.jsonl").write_bytes(b"".join(data))
    return directory


def counts(result: Any) -> list[tuple[str, int, int, int, int]]:
    return [(s.name, s.rows_in, s.rows_out, s.dropped, s.failed) for s in result.stats.operators]


def records(result: Any) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The dead letters (step, id, error) and dropped rows (step, id, reason) a run stored."""
    letters = sorted((d.operator, d.id, d.error) for d in result.dead_letters.records())
    dropped = sorted((d.operator, d.id, d.reason) for d in result.dropped.records())
    return letters, dropped


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, Any, Path]:
    """The input, and the local executor's output, result and run directory on it."""
    work = tmp_path_factory.mktemp("shards")
    src = write_input(work / "in")
    result = ShardTestPipeline(src, work / "local.jsonl").run(batch_size=BATCH, run_dir=work / "rd")
    return src, (work / "local.jsonl").read_bytes(), result, work / "rd"


def test_sharded_run_equals_the_local_executors_byte_for_byte(cluster, local, tmp_path):
    src, expected, local_result, _ = local
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=997))
    out = tmp_path / "out.jsonl"
    result = ShardTestPipeline(src, out).run(
        batch_size=BATCH, run_dir=tmp_path / "rd", executor=executor
    )
    assert executor.shard_count > 3  # it ran on shards, several per file
    assert out.read_bytes() == expected
    assert counts(result) == counts(local_result)
    source = result.stats.source
    assert (source.rows_out, source.failed) == (local_result.stats.source.rows_out, 1)
    assert result.stats.sink.rows_out == local_result.stats.sink.rows_out
    letters, dropped = records(result)
    assert (letters, dropped) == records(local_result)
    assert any(step == "WordNumberFilter" for step, _, _ in dropped)
    assert any(step == "NoSevens" for step, _, _ in letters)
    [bad] = [error for step, _, error in letters if step == "source"]
    assert bad.startswith(f"{src / 'part1.jsonl'}: line 18: invalid JSON")
    # the run is finished and a second pass over the same input reads nothing new
    again = ShardTestPipeline(src, out).run(
        batch_size=BATCH, run_dir=tmp_path / "rd", executor=executor
    )
    assert again.stats.source.rows_out == 0 and out.read_bytes() == expected


@pytest.mark.parametrize("shard_bytes", [1, 3])
def test_shard_boundaries_anywhere_read_each_line_once(cluster, tmp_path, shard_bytes):
    """Shards of one or three bytes put a boundary at every position of every line (inside
    one, at its newline, in a blank line): each line is still read exactly once."""
    src = write_input(tmp_path / "in", sizes=(6, 25, 5))
    ShardTestPipeline(src, tmp_path / "local.jsonl").run(batch_size=4)
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=shard_bytes))
    result = ShardTestPipeline(src, tmp_path / "out.jsonl").run(batch_size=4, executor=executor)
    assert executor.shard_count == sum(-(-p.stat().st_size // shard_bytes) for p in src.iterdir())
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert [d.error.split(": invalid")[0] for d in result.dead_letters.records()][:1] == [
        f"{src / 'part1.jsonl'}: line 18"
    ]


def test_without_a_run_directory_and_a_parquet_output(cluster, local, tmp_path):
    """No run directory: the same bytes, no checkpoints. A Parquet output with a run directory
    is spooled as JSON lines, so it also runs on shards."""
    src, expected, local_result, _ = local
    executor = RayExecutor()
    result = ShardTestPipeline(src, tmp_path / "out.jsonl").run(batch_size=BATCH, executor=executor)
    assert (tmp_path / "out.jsonl").read_bytes() == expected
    assert counts(result) == counts(local_result) and executor.shard_count >= 3
    import pyarrow.parquet as pq

    ShardTestPipeline(src, tmp_path / "out.parquet").run(
        batch_size=BATCH, run_dir=tmp_path / "rd", executor=executor
    )
    expected_rows = [json.loads(line) for line in expected.splitlines()]
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == expected_rows
    assert executor.shard_count >= 3


def pids(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.slow  # about 10-20 s on two cores
def test_killing_a_worker_mid_run_still_gives_the_exact_output(cluster, local, tmp_path):
    src, expected, local_result, _ = local
    pid_file = tmp_path / "pids.txt"
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=2000))
    pipeline = ShardTestPipeline(src, tmp_path / "out.jsonl", pids_file=str(pid_file), delay=0.05)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = pipeline.run(
                batch_size=BATCH, run_dir=tmp_path / "rd", executor=executor
            )
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for(lambda: len(pids(pid_file)) >= 6)
        assert executor.pools is not None
        started = {str(pid) for pid in executor.pools.pids()}
        victim = int(pids(pid_file)[-1])
        assert str(victim) in started and victim != os.getpid()
        os.kill(victim, signal.SIGKILL)
    finally:
        thread.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    assert (tmp_path / "out.jsonl").read_bytes() == expected
    assert counts(outcome["result"]) == counts(local_result)
    assert set(pids(pid_file)) - started  # a restarted worker took the shards over
    assert len(pids(pid_file)) < 2 * local_result.stats.source.batches  # the kill was mid-run


def cli(src: Path, out: Path, run_dir: Path, executor: str, cluster: str) -> list[str]:
    command = [
        sys.executable, "-m", "streamflow", "run", str(HERE / "shard_pipeline.py"),
        "--input", str(src), "--output", str(out), "--run-dir", str(run_dir),
        "--executor", executor, "--batch-size", "20", "--checkpoint-interval", "0.1",
        "--no-progress", "--json",
    ]  # fmt: skip
    return [*command, "--address", cluster] if executor == "ray" else command


@pytest.mark.slow  # about 20-40 s on two cores
@pytest.mark.parametrize("resume_with", ["ray", "local"])
def test_killing_the_driver_then_resuming_gives_the_exact_output(cluster, tmp_path, resume_with):
    """``streamflow run --executor ray`` is killed (SIGKILL) once it has written some output;
    ``--resume`` (with either executor) finishes it from the last checkpoint: exact output."""
    src = tmp_path / "in"
    src.mkdir()
    for k in range(2):
        (src / f"big{k}.jsonl").write_bytes(b"".join(lines(0, 2500, k)))
    ShardTestPipeline(src, tmp_path / "local.jsonl").run(batch_size=20)
    expected = (tmp_path / "local.jsonl").read_bytes()
    out, run_dir = tmp_path / "out.jsonl", tmp_path / "rd"
    env = {**os.environ, "SF_TEST_DELAY": "0.03"}
    driver = subprocess.Popen(
        cli(src, out, run_dir, "ray", cluster),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: driver.poll() is not None or (out.exists() and out.stat().st_size > 0))
        time.sleep(0.5)  # a few checkpoints
        assert driver.poll() is None, driver.communicate()[1].decode()[-2000:]
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.communicate(timeout=60)
    assert 0 < out.stat().st_size < len(expected)

    resumed = subprocess.run(
        [*cli(src, out, run_dir, resume_with, cluster), "--resume"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    assert out.read_bytes() == expected
    summary = json.loads(resumed.stdout.decode().strip().splitlines()[-1])
    read_again = summary["steps"][0]["rows_out"]
    assert 0 < read_again < 5000  # it continued from a checkpoint, not from the start
    status = subprocess.run(
        [sys.executable, "-m", "streamflow", "status", str(run_dir), "--json"],
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr.decode()[-2000:]
    recorded = json.loads(status.stdout)
    assert recorded["state"] == "finished"
    assert recorded["checkpoint"]["rows_written"] == expected.count(b"\n")


def test_grown_input_continues_from_the_checkpoint(cluster, tmp_path):
    """A finished sharded run, then lines appended to a file (its last line had no newline)
    and a new file: the next run reads only the new records, and the output equals the local
    executor's over the same two passes."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_bytes(b"".join(lines(0, 120, 0)).rstrip(b"\n"))
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=1500))

    def both(label: str) -> tuple[Any, Any]:
        here = ShardTestPipeline(src, tmp_path / "local.jsonl").run(
            batch_size=BATCH, run_dir=tmp_path / "local_rd"
        )
        there = ShardTestPipeline(src, tmp_path / "ray.jsonl").run(
            batch_size=BATCH, run_dir=tmp_path / "ray_rd", executor=executor
        )
        assert executor.shard_count >= 1, label
        return here, there

    both("first")
    with (src / "a.jsonl").open("ab") as f:
        f.write(b"\n" + b"".join(lines(120, 200, 0)))
    (src / "b.jsonl").write_bytes(b"".join(lines(0, 50, 1)))
    here, there = both("grown")
    assert there.stats.source.rows_out == here.stats.source.rows_out == 80 + 50
    assert counts(there) == counts(here)
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_requeued_dead_letters_are_retried_first_then_the_shards(cluster, tmp_path, monkeypatch):
    """Rows a step failed, requeued, are retried by the next run (in the driver, from the step
    they failed in) before it reads the new input on shards: the output equals the local
    executor's over the same passes."""
    from streamflow.store.rundir import requeue_dead_letters

    src = write_input(tmp_path / "in", sizes=(200, 120))
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=3000))

    def both() -> tuple[Any, Any]:
        here = ShardTestPipeline(src, tmp_path / "local.jsonl").run(
            batch_size=BATCH, run_dir=tmp_path / "local_rd"
        )
        there = ShardTestPipeline(src, tmp_path / "ray.jsonl").run(
            batch_size=BATCH, run_dir=tmp_path / "ray_rd", executor=executor
        )
        return here, there

    _, first = both()
    failed = first.stats.operators[-1].failed
    assert failed > 0
    assert requeue_dead_letters(tmp_path / "ray_rd") == failed
    assert requeue_dead_letters(tmp_path / "local_rd") == failed
    (src / "part9.jsonl").write_bytes(b"".join(lines(0, 30, 9)))  # and new input
    monkeypatch.setenv("SF_TEST_HEALED", "1")  # this process only: the retry runs here
    here, there = both()
    assert there.requeued_rows_written == here.requeued_rows_written == failed
    assert executor.shard_count >= 1 and there.stats.source.rows_out == 30
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_a_bad_record_raises_and_an_unfinished_line_warns_as_locally(cluster, tmp_path):
    """``on_bad_record="raise"`` (the default) stops the run at the bad record, naming its file
    and line; a last line still being written is left unread with the source's warning, shown
    by the driver."""
    from helpers import Chain

    from streamflow.errors import BadRecordError
    from streamflow.io.sources import UnfinishedLineWarning
    from streamflow.operators.general_text import LowercaseRefiner

    src = write_input(tmp_path / "in", sizes=(30, 25))
    chain = Chain([(LowercaseRefiner(), {"input_key": "text"})], entry_file=src)
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=500))
    with pytest.raises(BadRecordError, match=r"part1\.jsonl: line 18: invalid JSON"):
        chain.run(output=tmp_path / "out.jsonl", executor=executor)

    growing = tmp_path / "grow"
    growing.mkdir()
    (growing / "g.jsonl").write_bytes(b"".join(lines(0, 40, 0)) + b'{"text": "half')
    chain = Chain([(LowercaseRefiner(), {"input_key": "text"})], entry_file=growing)
    with pytest.warns(UnfinishedLineWarning, match=r"g\.jsonl: line 41, the last line"):
        chain.run(output=tmp_path / "ray.jsonl", executor=executor)
    assert executor.shard_count > 1
    with pytest.warns(UnfinishedLineWarning):
        chain.run(output=tmp_path / "local.jsonl")
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_cheap_first_steps_run_on_shards_and_the_rest_in_pools(cluster, tmp_path):
    """A plan of cheap steps, then MinHash dedup, a dataset evaluator and an LLM step
    (``ray_pipeline.py``): the first four run on shards and feed the rest, which runs as
    without shards (dedup and the evaluator in the driver, the LLM in its pool). A plan that
    starts with a stateful step runs no shards. Both give the local executor's rows."""
    import ray_pipeline
    from helpers import Chain, read_jsonl, write_jsonl

    from streamflow.operators.general_text import LowercaseRefiner, MinHashDeduplicateFilter

    src = write_jsonl(tmp_path / "in.jsonl", ray_pipeline.rows(60))
    local = ray_pipeline.RayTestPipeline(src, tmp_path / "local.jsonl").run(batch_size=BATCH)
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=700))
    result = ray_pipeline.RayTestPipeline(src, tmp_path / "ray.csv").run(
        batch_size=BATCH, executor=executor, run_dir=tmp_path / "rd"
    )
    assert executor.shard_count > 3 and executor.stage_pools is not None
    import csv

    with (tmp_path / "ray.csv").open() as f:
        got = [row["summary"] for row in csv.DictReader(f)]
    assert got == [row["summary"] for row in read_jsonl(tmp_path / "local.jsonl")]
    assert counts(result) == counts(local) and result.reports == local.reports

    def chain() -> Chain:
        steps = [
            (MinHashDeduplicateFilter(shingle_size=2, threshold=0.7), {"input_key": "text"}),
            (LowercaseRefiner(), {"input_key": "text"}),
        ]
        return Chain(steps, entry_file=src)

    chain().run(output=tmp_path / "dedup_local.jsonl")
    chain().run(output=tmp_path / "dedup_ray.jsonl", executor=executor)
    assert executor.shard_count == 0
    assert (tmp_path / "dedup_ray.jsonl").read_bytes() == (
        tmp_path / "dedup_local.jsonl"
    ).read_bytes()
