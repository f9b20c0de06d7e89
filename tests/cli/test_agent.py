"""``streamflow agent``'s command line (the graph itself is tested in tests/agent/)."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading

import pytest
from aiohttp import web
from typer.testing import CliRunner

from streamflow.agent.relay import ServingRelay
from streamflow.cli import app
from streamflow.testing import ScriptedServing

runner = CliRunner()


def test_agent_is_a_command():
    result = runner.invoke(app, ["agent", "--help"])
    assert result.exit_code == 0
    assert "--data" in result.output and "--max-rounds" in result.output


def test_a_sample_that_is_not_jsonl_names_the_file_and_line(tmp_path):
    data = tmp_path / "sample.jsonl"
    data.write_text('{"text": "ok"}\nnot json\n')
    result = runner.invoke(app, ["agent", "clean the texts", "--data", str(data)])
    assert result.exit_code == 2
    assert "sample.jsonl, line 2" in " ".join(result.output.split())


def test_a_missing_sample_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["agent", "x", "--data", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2


needs_sandbox = pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")


@pytest.fixture
def scripted_server():
    """An OpenAI-compatible server on loopback answering by script (in a thread of its own)."""

    def answer(prompt: str) -> str:
        if "Split the request" in prompt:
            return json.dumps({"feasible": True, "reason": "", "steps": []})
        if "Which operator does this step?" in prompt:
            return json.dumps({"operator": "RemoveExtraSpacesRefiner"})
        return "{}"

    relay = ServingRelay(ScriptedServing(answer))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder = {}

    async def serve() -> None:
        runner = web.AppRunner(relay.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["port"] = runner.addresses[0][1]
        holder["runner"] = runner
        started.set()

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True
    )
    thread.start()
    started.wait(10)
    yield f"http://127.0.0.1:{holder['port']}/v1"
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@needs_sandbox
def test_the_command_writes_a_pipeline_that_streamflow_run_runs(
    tmp_path, scripted_server, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "texts.jsonl"
    data.write_text('{"text": "a   b"}\n{"text": "c    d"}\n')
    out = tmp_path / "spaces.py"
    result = runner.invoke(
        app,
        [
            "agent",
            "Collapse runs of spaces.",
            "--data",
            str(data),
            "--out",
            str(out),
            "--base-url",
            scripted_server,
            "--retrieval",
            "bm25",
            "--timeout",
            "120",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "RemoveExtraSpacesRefiner" in out.read_text()
    ran = runner.invoke(
        app, ["run", str(out), "--output", str(tmp_path / "o.jsonl"), "--no-progress"]
    )
    assert ran.exit_code == 0, ran.output
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["a b", "c d"]
