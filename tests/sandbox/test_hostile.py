"""Hostile programs: each is contained, reported with its reason, leaves no process running and
writes nothing outside its work directory."""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from streamflow.sandbox import Sandbox, SandboxResult, StopReason
from streamflow.sandbox.isolation import interpreter_paths

from .conftest import SMALL, needs_bwrap

pytestmark = needs_bwrap

REPO = Path(__file__).resolve().parents[2]
Clean = Callable[[SandboxResult], None]


async def test_fork_bomb_is_stopped_at_the_process_limit(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    code = textwrap.dedent(
        """
        import os, sys, time
        first = os.getpid()
        start = time.monotonic()
        while time.monotonic() - start < 1.0:
            try:
                os.fork()
            except OSError:
                time.sleep(0.01)
        if os.getpid() == first:
            print(sum(name.isdigit() for name in os.listdir("/proc")), flush=True)
        time.sleep(600)
        """
    )
    result = await sandbox.run(code, argv=[marker], timeout=8)
    assert result.reason is StopReason.TIMEOUT and result.limit == "wall", result
    # The namespace holds tini and the sandbox uid's processes, at most Limits.processes of them.
    assert 1 < int(result.stdout) <= SMALL.processes + 1
    assert_clean(result)


async def test_no_network_not_even_loopback(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        port = server.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
        result = await sandbox.run(code, argv=[marker])
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    assert result.reason is StopReason.ERROR
    assert "ConnectionRefusedError" in result.stderr or "Network is unreachable" in result.stderr
    assert_clean(result)


async def test_writes_outside_the_work_directory_do_not_reach_the_host(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    name = f"sf-sandbox-probe-{uuid.uuid4().hex}"
    targets = [
        Path("/tmp") / name,
        Path("/var/tmp") / name,
        Path("/dev/shm") / name,
        Path.home() / name,
        REPO / name,
        REPO / "streamflow" / name,
    ]
    code = textwrap.dedent(
        f"""
        import os
        for path in {[str(t) for t in targets]!r} + [os.path.expanduser("~/{name}")]:
            try:
                with open(path, "w") as f:
                    f.write("escaped")
                print("wrote", path)
            except OSError as exc:
                print("refused", path, exc.strerror)
        """
    )
    result = await sandbox.run(code, argv=[marker])
    assert result.ok, result
    for target in targets:
        assert not target.exists(), f"{target} reached the host"
    # The repository is read-only inside; /tmp, /var/tmp, /dev/shm and $HOME are private.
    assert f"refused {REPO / name} Read-only file system" in result.stdout
    assert f"wrote /tmp/{name}" in result.stdout
    assert_clean(result)


async def test_shadow_is_unreadable(sandbox: Sandbox, marker: str, assert_clean: Clean) -> None:
    result = await sandbox.run("print(open('/etc/shadow').read())", argv=[marker])
    assert result.reason is StopReason.ERROR
    assert "PermissionError" in result.stderr and "root:" not in result.stdout
    assert_clean(result)


async def test_ten_gigabyte_allocation_is_a_memory_stop(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    result = await sandbox.run("data = bytearray(10 * 1024**3)", argv=[marker])
    assert result.reason is StopReason.MEMORY and result.limit == "memory", result
    assert "MemoryError" in result.stderr
    assert_clean(result)


async def test_infinite_loop_is_stopped_at_the_cpu_limit(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    limits = SMALL.replace(cpu_seconds=1, wall_seconds=60)
    result = await sandbox.run("while True:\n    pass", argv=[marker], limits=limits)
    assert result.reason is StopReason.TIMEOUT and result.limit == "cpu", result
    # about the limit: the kernel charges it per tick, and part of it to processes the
    # sandbox's own accounting cannot reap (seen: 0.83 s on a loaded machine)
    assert result.cpu_seconds >= 0.5
    assert_clean(result)


async def test_a_gigabyte_of_stdout_is_capped_and_stopped(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    code = "import sys\nfor _ in range(1024):\n    sys.stdout.write('x' * (1 << 20))\n"
    result = await sandbox.run(code, argv=[marker])
    assert result.reason is StopReason.OUTPUT_LIMIT and result.limit == "output", result
    assert result.stdout_truncated and len(result.stdout) == SMALL.output_bytes
    assert set(result.stdout) == {"x"}
    assert_clean(result)


async def test_sleep_past_the_wall_limit(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    result = await sandbox.run("import time\ntime.sleep(600)", argv=[marker], timeout=1)
    assert result.reason is StopReason.TIMEOUT and result.limit == "wall", result
    assert result.wall_seconds >= 1
    assert_clean(result)


async def test_double_forked_daemon_does_not_outlive_the_run(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    code = textwrap.dedent(
        """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                print("daemon", os.getpid(), flush=True)
                time.sleep(600)
            os._exit(0)
        os.wait()
        time.sleep(0.3)
        print("parent done", flush=True)
        """
    )
    result = await sandbox.run(code, argv=[marker])
    assert result.ok, result
    assert "daemon" in result.stdout and "parent done" in result.stdout
    assert_clean(result)


async def test_five_gigabyte_file_stops_at_the_file_size_limit(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    code = textwrap.dedent(
        """
        import os, tempfile
        chunk = b"x" * (1 << 20)
        with open(os.path.join(tempfile.mkdtemp(), "big.bin"), "wb") as f:
            for _ in range(5 * 1024):
                f.write(chunk)
        """
    )
    result = await sandbox.run(code, argv=[marker])
    assert result.reason is StopReason.ERROR and result.limit == "file_size", result
    assert "File too large" in result.stderr
    assert_clean(result)


async def test_hundred_thousand_open_files_stop_at_the_open_file_limit(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    code = "files = [open('/dev/null') for _ in range(100_000)]"
    result = await sandbox.run(code, argv=[marker])
    assert result.reason is StopReason.ERROR and result.limit == "open_files", result
    assert "Too many open files" in result.stderr
    assert_clean(result)


async def test_no_secrets_under_masked_directories(
    sandbox: Sandbox, marker: str, assert_clean: Clean
) -> None:
    home = str(Path.home())
    code = textwrap.dedent(
        f"""
        import json, os
        places = ("/root", "/home", "/run", {home!r})
        print(json.dumps({{d: sorted(os.listdir(d)) for d in places}}))
        """
    )
    result = await sandbox.run(code, argv=[marker])
    assert result.ok, result
    inside = json.loads(result.stdout)
    assert inside["/run"] == []
    # Of the home directories only what the interpreter needs (e.g. pyenv's directory) shows.
    needed = {
        Path(p).relative_to(d).parts[0]
        for p in (*interpreter_paths(sys.executable), os.path.realpath(sys.executable))
        for d in ("/root", "/home", home)
        if p.startswith(d + "/")
    }
    for directory in ("/root", "/home", home):
        assert set(inside[directory]) <= needed, directory
    assert_clean(result)
