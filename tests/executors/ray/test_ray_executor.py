"""The Ray executor on a real local Ray cluster (two CPUs, on loopback, shut down at the end).

The pipeline (``ray_pipeline.py``): a fused stage of refiners and a filter in a worker pool,
MinHash dedup and a dataset evaluator in the driver (their state's single owner), and an LLM
step (ScriptedServing) in its own pool. Every test compares with the local executor's output
on the same input: the same rows in the same order, the same reports and per-step counts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, read_jsonl, wait_for, write_jsonl

ray = pytest.importorskip("ray")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ray_pipeline  # noqa: E402

from streamflow import Refiner  # noqa: E402
from streamflow.executors.ray import PoolSizes, RayExecutor  # noqa: E402

ROWS = 400
BATCH = 8
LLM_IN_FLIGHT = PoolSizes().llm_workers * PoolSizes().batches_per_llm_worker
"""Batches the LLM step's pool holds at once: what a kill may make it ask again."""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], Any]:
    """The input, and the local executor's output and result on it."""
    work = tmp_path_factory.mktemp("ray_data")
    src = write_jsonl(work / "in.jsonl", ray_pipeline.rows(ROWS))
    result = ray_pipeline.RayTestPipeline(src, work / "local.jsonl").run(batch_size=BATCH)
    return src, read_jsonl(work / "local.jsonl"), result


def counts(result: Any) -> list[tuple[str, int, int, int, int]]:
    return [(s.name, s.rows_in, s.rows_out, s.dropped, s.failed) for s in result.stats.operators]


def test_output_reports_and_counts_equal_the_local_executors(cluster, data, tmp_path):
    src, expected, local = data
    calls, pids = tmp_path / "calls.txt", tmp_path / "pids.txt"
    pipeline = ray_pipeline.RayTestPipeline(
        src, tmp_path / "out.jsonl", calls_file=str(calls), pids_file=str(pids)
    )
    result = pipeline.run(batch_size=BATCH, run_dir=tmp_path / "rd", executor="ray")

    assert read_jsonl(tmp_path / "out.jsonl") == expected
    assert result.reports == local.reports
    assert counts(result) == counts(local)
    assert local.stats.operators[3].dropped > 0 and local.stats.operators[4].dropped > 0
    # the LLM ran in a worker process, once per row, and its usage reached the driver's stats
    lines = calls.read_text().splitlines()
    assert len(lines) == len(expected) == result.stats.operators[-1].requests
    assert {line.split()[0] for line in lines} != {str(os.getpid())}
    assert result.stats.operators[-1].prompt_tokens > 0
    assert (tmp_path / "rd" / "reports.json").exists()
    # the one remote CPU stage got the cluster's two CPUs: two workers shared its batches
    assert len(set(pids.read_text().split())) == 2


def test_a_private_executor_object_and_unordered_output(cluster, data, tmp_path):
    """An executor object with its own pool sizes; unordered output holds the same rows."""
    src, expected, _ = data
    executor = RayExecutor(sizes=PoolSizes(cpu_workers=1, batches_per_llm_worker=2))
    result = ray_pipeline.RayTestPipeline(src, tmp_path / "out.jsonl").run(
        batch_size=BATCH, executor=executor, ordered=False
    )
    got = read_jsonl(tmp_path / "out.jsonl")
    key = lambda row: row["text"]  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
    assert result.rows_written == len(expected) and executor.startup_seconds > 0


def test_independent_llm_steps_side_by_side_share_one_pool(cluster, tmp_path):
    """Two LLM generators reading the same field form one stage of branches (as locally): one
    pool holds both, each batch goes to both, and the rows equal the local executor's."""
    from helpers import Chain

    from streamflow.operators.core_text import PromptedGenerator
    from streamflow.testing import ScriptedServing

    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row {i}"} for i in range(40)])

    def chain(output: Path) -> Chain:
        serving = ScriptedServing(ray_pipeline.Answer(None, 0.0))
        steps = [
            (PromptedGenerator(llm_serving=serving, user_prompt="A: "), {"output_key": "a"}),
            (PromptedGenerator(llm_serving=serving, user_prompt="B: "), {"output_key": "b"}),
        ]
        return Chain(
            [(op, {"input_key": "text", **keys}) for op, keys in steps],
            entry_file=src,
            output_file=output,
        )

    local = chain(tmp_path / "local.jsonl").run(batch_size=BATCH)
    executor = RayExecutor()
    result = chain(tmp_path / "ray.jsonl").run(batch_size=BATCH, executor=executor)
    assert read_jsonl(tmp_path / "ray.jsonl") == read_jsonl(tmp_path / "local.jsonl")
    assert [s.requests for s in result.stats.operators] == [40, 40]
    assert counts(result) == counts(local)
    assert executor.worker_cpu_seconds > 0


class OnlyHere(Refiner):
    """Cannot be loaded in another process (as a class a cluster's nodes cannot import)."""

    def __init__(self) -> None:
        self.home = os.getpid()

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state["home"] != os.getpid():
            raise ImportError("No module named 'my_private_operators'")
        self.__dict__.update(state)

    def process(self, rows: list[dict[str, Any]], input_key: str = "text") -> list[dict]:
        return rows


def test_a_worker_that_cannot_load_its_operators_is_a_clear_error(cluster, tmp_path):
    from helpers import Chain

    from streamflow.errors import StreamflowError

    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "a"}])
    chain = Chain([(OnlyHere(), {"input_key": "text"})], entry_file=src)
    with pytest.raises(StreamflowError, match="a Ray worker for OnlyHere could not start") as e:
        chain.run(output=tmp_path / "out.jsonl", executor="ray")
    assert "my_private_operators" in str(e.value) and "runtime_env" in str(e.value)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow  # about 20-30 s on two cores
def test_killing_workers_mid_run_still_gives_the_exact_output(cluster, data, tmp_path):
    """A CPU worker and the LLM worker are killed (SIGKILL) mid-run; Ray restarts them and
    sends their batches again; the output is exact and the LLM repeats at most its batches in
    flight. The cheap first steps run on input shards (small ones, so that many are still to
    come when the worker dies)."""
    src, expected, local = data
    calls, pids = tmp_path / "calls.txt", tmp_path / "pids.txt"
    pipeline = ray_pipeline.RayTestPipeline(
        src, tmp_path / "out.jsonl", calls_file=str(calls), pids_file=str(pids), delay=0.02
    )
    outcome: dict[str, Any] = {}
    executor = RayExecutor(sizes=PoolSizes(shard_bytes=1024))

    def run() -> None:
        try:
            outcome["result"] = pipeline.run(
                batch_size=BATCH, run_dir=tmp_path / "rd", executor=executor
            )
        except BaseException as exc:  # reported by the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for(lambda: len(lines(pids)) >= 8 and len(lines(calls)) >= 3 * BATCH)
        cpu_worker = int(lines(pids)[-1])
        llm_worker = int(lines(calls)[-1].split()[0])
        assert os.getpid() not in (cpu_worker, llm_worker)
        os.kill(cpu_worker, signal.SIGKILL)
        os.kill(llm_worker, signal.SIGKILL)
        killed_at = len(lines(calls))
        before_kill = set(lines(pids))
    finally:
        thread.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    assert killed_at < len(expected)  # the kill landed mid-run

    assert read_jsonl(tmp_path / "out.jsonl") == expected
    assert outcome["result"].reports == local.reports
    assert counts(outcome["result"]) == counts(local)
    asked = lines(calls)
    workers = {line.split()[0] for line in asked}
    assert str(llm_worker) in workers and len(workers) >= 2  # a new LLM worker took over
    prompts = {line.split(" ", 1)[1] for line in asked}
    assert len(prompts) == len(expected)
    assert len(expected) <= len(asked) <= len(expected) + LLM_IN_FLIGHT * BATCH
    assert str(cpu_worker) in before_kill and set(lines(pids)) - before_kill  # a restarted one
    assert executor.shard_count > 10


@pytest.mark.slow  # about 20-30 s on two cores
def test_killing_the_driver_then_resuming_gives_the_exact_output(cluster, data, tmp_path):
    """``streamflow run --executor ray --address`` is killed (SIGKILL) mid-run; ``--resume``
    finishes it. The output is exact, and the LLM is asked again only for the batches that
    were in flight when the driver died."""
    src, expected, local = data
    calls = tmp_path / "calls.txt"
    out, run_dir = tmp_path / "out.jsonl", tmp_path / "rd"
    command = [
        sys.executable, "-m", "streamflow", "run", str(HERE / "ray_pipeline.py"),
        "--input", str(src), "--output", str(out), "--run-dir", str(run_dir),
        "--executor", "ray", "--address", cluster,
        "--batch-size", str(BATCH), "--checkpoint-interval", "0.2", "--no-progress", "--json",
    ]  # fmt: skip
    env = {**os.environ, "SF_TEST_CALLS": str(calls), "SF_TEST_DELAY": "0.02"}
    driver = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: len(lines(calls)) >= len(expected) // 3 or driver.poll() is not None)
        assert driver.poll() is None, driver.communicate()[1].decode()[-2000:]
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.communicate(timeout=60)
    first_pass = len(lines(calls))
    assert first_pass < len(expected)

    resumed = subprocess.run(
        [*command, "--resume"], cwd=REPO, env=env, capture_output=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    assert read_jsonl(out) == expected

    asked = lines(calls)
    assert {line.split(" ", 1)[1] for line in asked} == {
        " ".join(f"Summarise: {row['text']}".split()) for row in expected
    }
    repeated = len(asked) - len(expected)
    assert 0 <= repeated <= LLM_IN_FLIGHT * BATCH, (first_pass, len(asked))
    assert len(asked) - first_pass < len(expected)  # the resumed run reused stored results

    status = subprocess.run(
        [sys.executable, "-m", "streamflow", "status", str(run_dir)],
        cwd=REPO, capture_output=True, timeout=60,
    )  # fmt: skip
    assert status.returncode == 0 and b"finished" in status.stdout + status.stderr
    assert local.reports["ReasoningDifficultyDatasetEvaluator"]


@pytest.mark.slow  # two engine start-ups: minutes on a CPU
def test_an_llm_step_on_the_embedded_engine_gives_the_local_executors_rows(
    cluster, smollm2_dir, tmp_path
):
    """The LLM step with the real embedded model (vLLM on CPU, greedy): the engine starts in the
    Ray worker that holds the step; the rows equal the local executor's, answers included."""
    from streamflow.operators.core_text import PromptedGenerator
    from streamflow.serving.base import SamplingParams
    from streamflow.serving.vllm_backend import VLLMServing

    src = write_jsonl(tmp_path / "in.jsonl", ray_pipeline.rows(30))

    def pipeline(output: Path) -> ray_pipeline.RayTestPipeline:
        p = ray_pipeline.RayTestPipeline(src, output)
        serving = VLLMServing(
            smollm2_dir,
            max_num_seqs=8,
            kv_cache_gib=0.5,
            params=SamplingParams(max_tokens=12, temperature=0.0),
        )
        p.summary = PromptedGenerator(  # 12 tokens may cut an answer short: keep it
            llm_serving=serving, user_prompt="Summarise in five words: ", accept_truncated=True
        )
        return p

    local = pipeline(tmp_path / "local.jsonl").run(batch_size=BATCH)
    result = pipeline(tmp_path / "ray.jsonl").run(
        batch_size=BATCH, run_dir=tmp_path / "rd", executor="ray"
    )
    expected, got = read_jsonl(tmp_path / "local.jsonl"), read_jsonl(tmp_path / "ray.jsonl")
    assert [r["text"] for r in got] == [r["text"] for r in expected] and len(got) > 20
    assert all(isinstance(r["summary"], str) and r["summary"].strip() for r in got)
    assert got == expected
    assert result.stats.operators[-1].completion_tokens > 0
    assert counts(result) == counts(local)
