"""OpenAIServing against a loopback server that injects faults: every number here is measured at
the server (arrival times, requests in flight), not taken from the client's word."""

from __future__ import annotations

import json
import os
import sys
import time

import anyio
import pytest
from fault_server import FaultServer
from helpers import REPO, read_jsonl, write_jsonl

from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.base import (
    LLMRequestError,
    SamplingParams,
    ServerPausedError,
    ServingStartError,
)
from streamflow.serving.openai_compat import OpenAIServing

N = 50
RETRY_AFTER = 1.0
SCRIPT: dict[str, list[str]] = {
    **{f"row-{i}": ["429", "ok"] for i in range(5)},
    "row-5": ["429-date", "ok"],
    **{f"row-{i}": ["500", "500", "ok"] for i in range(6, 10)},
    **{f"row-{i}": ["hang", "ok"] for i in range(10, 13)},
    **{f"row-{i}": ["reset", "ok"] for i in range(13, 16)},
    **{f"row-{i}": ["malformed", "ok"] for i in range(16, 19)},
    "row-19": ["context"],
    "row-20": ["context"],
    "row-21": ["filter"],
    "row-22": ["500"],
    "row-23": ["hang"],
}


def serving(server: FaultServer, **options) -> OpenAIServing:
    defaults = dict(timeout=0.5, backoff=0.05, max_retries=3, deadline=10.0, max_concurrency=4)
    return OpenAIServing(base_url=server.base_url, **{**defaults, **options})


async def test_pipeline_over_faults_answers_or_dead_letters_every_row(chain, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row-{i}"} for i in range(N)])
    out = tmp_path / "out.jsonl"
    async with FaultServer(SCRIPT, latency=0.05, retry_after=RETRY_AFTER) as server:
        llm = serving(server, cost_per_prompt_token=1e-6, cost_per_completion_token=2e-6)
        op = PromptedGenerator(llm, user_prompt="", system_prompt="")
        steps = [(op, {"input_key": "text", "output_key": "answer"})]
        with anyio.fail_after(30):
            result = await chain(steps, entry_file=src, output_file=out).arun(batch_size=10)

    rows = read_jsonl(out)
    failed = {d.row["text"]: d.error for d in result.dead_letters.records()}
    assert {r["text"] for r in rows} | set(failed) == {f"row-{i}" for i in range(N)}
    assert all(r["answer"] == f"answer: {r['text']}" for r in rows)
    assert failed.keys() == {"row-19", "row-20", "row-21", "row-22", "row-23"}, failed
    assert failed["row-19"] == failed["row-20"] == "context too long"
    assert failed["row-21"] == "content filter"
    assert failed["row-22"] == "gave up after 4 attempts: HTTP 500"
    assert failed["row-23"] == "gave up after 4 attempts: timeout after 0.5s"
    assert len(server.of("row-19")) == 1  # not retried

    # Retry-After: the retry reaches the server no sooner than the 429 said.
    for key in [f"row-{i}" for i in range(6)]:
        first, retry = server.of(key)[:2]
        assert first.action.startswith("429")
        assert first.done is not None
        gap = retry.at - first.done
        # (a later 429 of another row may pause it longer: Retry-After applies to the client)
        assert RETRY_AFTER <= gap < RETRY_AFTER + 2.5, (key, gap)

    # The concurrency limit holds at the server, and is reached.
    assert server.peak_in_flight == 4

    # Each hung attempt was abandoned at the timeout.
    assert all(a.done is not None and a.done - a.at < 0.6 for a in server.of("row-23"))

    stats = result.stats.operators[0]
    assert stats.requests == len(rows) and stats.failed == 5
    assert stats.prompt_tokens == 10 * len(rows) and stats.completion_tokens == 5 * len(rows)
    assert stats.cost == pytest.approx(len(rows) * (10e-6 + 10e-6))


async def test_requests_per_minute_limit_holds_at_the_server():
    rpm, n = 600, 40  # 10 a second, at most one second's worth at once
    async with FaultServer() as server, serving(server, requests_per_minute=rpm) as llm:
        answers = await llm.generate_from_input([f"row-{i}" for i in range(n)])
    assert answers == [f"answer: row-{i}" for i in range(n)]
    times = sorted(a.at for a in server.arrivals)
    rate, burst = rpm / 60, rpm / 60
    # In every window of the arrivals, no more requests than the bucket allows (+1 for timing).
    for i in range(n):
        for j in range(i, n):
            assert j - i + 1 <= burst + rate * (times[j] - times[i]) + 1, (i, j)
    assert times[-1] - times[0] >= (n - burst) / rate * 0.95


@pytest.mark.parametrize(
    ("usage", "max_tokens", "tpm", "n", "low", "high"),
    [
        # estimate (>500 tokens) far above the usage reported (15): charged what was used
        ((10, 5), 500, 6_000, 20, 1.5, 8.0),
        # estimate (~10 tokens) far below the usage reported (400): charged what was used
        ((400, 0), 1, 60_000, 6, 0.9, 4.0),
    ],
)
async def test_tokens_per_minute_limit_settles_estimates_against_usage(
    usage, max_tokens, tpm, n, low, high
):
    async with FaultServer(usage=usage) as server:
        params = SamplingParams(max_tokens=max_tokens)
        async with serving(server, tokens_per_minute=tpm, max_concurrency=1, params=params) as llm:
            started = time.monotonic()
            await llm.generate_from_input([f"row-{i}" for i in range(n)])
            elapsed = time.monotonic() - started
    assert low <= elapsed <= high, elapsed


async def test_deadline_gives_up_rather_than_wait_past_it():
    async with FaultServer({"row-0": ["429"], "row-1": ["hang"]}, retry_after=10) as server:
        async with serving(server, deadline=1.0, timeout=0.3, max_retries=100) as llm:
            started = time.monotonic()
            with pytest.raises(ServerPausedError, match=r"Retry-After: 10;") as err:
                await llm.complete("row-0")
            assert time.monotonic() - started < 0.5  # a 10 s Retry-After cannot fit in 1 s
            assert "deadline of 1s" in str(err.value) and err.value.retry_after == "10"
            # The server asked this whole client to pause for 10 s: the next request stops too,
            # quoting the server, instead of failing as "deadline exceeded after 0 attempts".
            with pytest.raises(ServerPausedError, match=r"Retry-After: 10;"):
                await llm.complete("row-2")
        async with serving(server, deadline=1.0, timeout=0.3, max_retries=100) as llm:
            started = time.monotonic()
            with pytest.raises(LLMRequestError, match=r"timeout after 0\.3s"):
                await llm.complete("row-1")
            # Kept retrying until the deadline (timers may fire a few ms early), then gave up.
            assert 0.95 <= time.monotonic() - started < 1.3
        assert len(server.of("row-1")) >= 3


async def test_request_body_schema_samples_and_usage():
    schema = {"title": "verdict", "type": "object", "properties": {"ok": {"type": "boolean"}}}
    async with FaultServer() as server, serving(server, params=SamplingParams(n=3)) as llm:
        completion = await llm.complete("row-0", system_prompt="be brief", json_schema=schema)
    assert completion.texts == ["answer: row-0"] * 3
    assert completion.usage.completion_tokens == 15
    body = server.bodies[0]
    assert body["model"] == "fault-model"  # taken from /models
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert body["n"] == 3
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": schema, "strict": True},
    }


async def test_api_key_comes_from_the_environment(monkeypatch):
    async with FaultServer(api_key="sk-test") as server:
        monkeypatch.delenv("SF_TEST_KEY", raising=False)
        with pytest.raises(ServingStartError, match=r"\$SF_TEST_KEY is not set"):
            await serving(server, api_key_env="SF_TEST_KEY").start()
        monkeypatch.setenv("SF_TEST_KEY", "sk-wrong")
        with pytest.raises(ServingStartError, match="is rejected"):
            await serving(server, api_key_env="SF_TEST_KEY").start()
        monkeypatch.setenv("SF_TEST_KEY", "sk-test")
        async with serving(server, api_key_env="SF_TEST_KEY") as llm:
            assert (await llm.complete("row-0")).text == "answer: row-0"


async def test_unreachable_server_fails_at_start():
    with anyio.fail_after(5):
        with pytest.raises(ServingStartError, match="cannot reach"):
            await OpenAIServing("m", base_url="http://127.0.0.1:9/v1", timeout=2).start()


async def test_fingerprint_names_what_answers_depend_on_and_stays_put():
    async with FaultServer() as server:
        llm = serving(server)
        before = llm.fingerprint()
        async with llm:
            await llm.generate_from_input(["row-0", "row-1"])
        assert llm.model == "fault-model" and llm.peak_in_flight == 2
        assert llm.fingerprint() == before  # use and start-up do not change it
        assert serving(server, max_concurrency=1, timeout=9).fingerprint() == before
        assert serving(server, params=SamplingParams(temperature=0.7)).fingerprint() != before
        assert OpenAIServing("other", server.base_url).fingerprint() != before


async def test_a_pause_longer_than_the_deadline_stops_the_run_quoting_the_server(chain, tmp_path):
    """Issue 9, item 13: one 429 with Retry-After: 100000 stops the run at once with the
    server's words, instead of failing every row with "deadline exceeded after 0 attempts"."""
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row-{i}"} for i in range(30)])
    async with FaultServer({"row-3": ["429"]}, retry_after=100000) as server:
        llm = serving(server, deadline=20.0)
        op = PromptedGenerator(llm, user_prompt="", system_prompt="")
        steps = [(op, {"input_key": "text", "output_key": "answer"})]
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(ServerPausedError) as err:
            await chain(steps, entry_file=src, output_file=tmp_path / "out.jsonl").arun(
                batch_size=10
            )
    assert time.monotonic() - started < 5
    assert "Retry-After: 100000" in str(err.value) and "deadline of 20s" in str(err.value)
    assert len(server.of("row-3")) == 1  # asked once, not retried row after row


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("null", "the answer has no text (content null; finish_reason 'stop')"),
        ("dict", "the answer's content is a dict, not text (finish_reason 'stop')"),
    ],
)
async def test_an_answer_without_text_fails_with_a_clear_reason(action, reason):
    async with FaultServer({"row-0": [action]}) as server, serving(server) as llm:
        with pytest.raises(LLMRequestError) as err:
            await llm.complete("row-0")
    assert err.value.reason.startswith(reason), err.value.reason
    assert len(server.of("row-0")) == 1  # a well-formed answer: not retried


async def test_text_parts_are_joined_and_length_is_reported():
    script = {"row-0": ["parts"], "row-1": ["length"]}
    async with FaultServer(script) as server, serving(server) as llm:
        parts = await llm.complete("row-0")
        cut = await llm.complete("row-1")
    assert parts.text == "answer: row-0" and parts.finish_reasons == ["stop"]
    assert cut.text == "answer: row-1" and cut.finish_reasons == ["length"]


async def test_odd_answers_in_a_pipeline_are_dead_letters_with_their_reasons(chain, tmp_path):
    """Issue 9, item 12: null, non-text and truncated answers fail their rows with clear
    reasons (not "ExceptionGroup: unhandled errors in a TaskGroup", not an empty answer)."""
    script = {"row-0": ["null"], "row-1": ["dict"], "row-2": ["length"], "row-3": ["parts"]}
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"row-{i}"} for i in range(5)])
    out = tmp_path / "out.jsonl"
    async with FaultServer(script) as server:
        for accept in (False, True):
            op = PromptedGenerator(
                serving(server), user_prompt="", system_prompt="", accept_truncated=accept
            )
            steps = [(op, {"input_key": "text", "output_key": "answer"})]
            result = await chain(steps, entry_file=src, output_file=out).arun(batch_size=5)
            failed = {d.row["text"]: d.error for d in result.dead_letters.records()}
            written = {r["text"]: r["answer"] for r in read_jsonl(out)}
            assert failed["row-0"].startswith("the answer has no text (content null")
            assert failed["row-1"].startswith("the answer's content is a dict, not text")
            assert written["row-3"] == "answer: row-3" and written["row-4"] == "answer: row-4"
            if accept:
                assert written["row-2"] == "answer: row-2"
                assert result.stats.operators[0].truncated == 1
            else:
                assert failed["row-2"].startswith("answer cut off at max_tokens=256")
                assert result.stats.operators[0].truncated == 0


PAUSED_PIPELINE = """
import os
from streamflow import FileStorage, Pipeline
from streamflow.operators.core_text import PromptedGenerator
from streamflow.serving.openai_compat import OpenAIServing


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        llm = OpenAIServing(base_url=os.environ["FAULT_URL"], deadline=20, backoff=0.05)
        self.gen = PromptedGenerator(llm, user_prompt="", system_prompt="")

    def forward(self):
        self.gen.run(self.storage.step(), input_key="text", output_key="answer")
"""


async def test_the_cli_stops_a_paused_run_with_the_servers_words(tmp_path):
    (tmp_path / "job.py").write_text(PAUSED_PIPELINE)
    write_jsonl(tmp_path / "in.jsonl", [{"text": f"row-{i}"} for i in range(24)])
    async with FaultServer({"row-5": ["429"]}, retry_after=100000) as server:
        env = {
            **os.environ,
            "FAULT_URL": server.base_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        args = [sys.executable, "-m", "streamflow", "run", "job.py", "--run-dir", "rd"]
        with anyio.fail_after(60):
            done = await anyio.run_process(
                [*args, "--no-progress"], cwd=tmp_path, env=env, check=False
            )
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "Retry-After: 100000" in stderr and "Traceback" not in stderr, stderr
    assert "exceeded after 0 attempts" not in stderr
    status = await anyio.run_process(
        [sys.executable, "-m", "streamflow", "status", "rd", "--json"], cwd=tmp_path, env=env
    )
    info = json.loads(status.stdout)
    assert info["state"] == "failed" and "Retry-After: 100000" in info["error"]
