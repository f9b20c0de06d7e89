"""The weaker, opt-in mode: no namespaces, but the limits, the private work directory, the clean
environment and (as root) a uid of the run's own, whose processes are all killed at the end."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamflow.sandbox import Sandbox, SandboxUnavailable, StopReason

from .conftest import SMALL, processes_left

SYSTEM_PYTHON = "/usr/bin/python3"


def _reachable_by_others(path: str) -> bool:
    """Whether a uid with no relation to the file's owner can execute ``path``."""
    real = Path(os.path.realpath(path))
    return all(os.stat(p).st_mode & 0o001 for p in real.parents) and bool(
        os.stat(real).st_mode & 0o001
    )


@pytest.fixture
def open_workdirs() -> Iterator[Path]:
    """Work directories where the run's uid can reach them (no namespace binds them in: the path
    from / must be world-executable); checked empty after the test."""
    root = Path(tempfile.mkdtemp(prefix="sf-sandbox-test-"))
    root.chmod(0o711)
    yield root
    leftovers = list(root.iterdir())
    shutil.rmtree(root)
    assert leftovers == [], "a work directory was left behind"


@pytest.fixture
def weak(open_workdirs: Path) -> Sandbox:
    """An rlimits-only sandbox with an interpreter its uid can reach (a bwrap that does not
    exist proves the mode needs none)."""
    python = sys.executable
    if os.geteuid() == 0 and not _reachable_by_others(python):
        if not os.path.exists(SYSTEM_PYTHON) or not _reachable_by_others(SYSTEM_PYTHON):
            pytest.skip("no interpreter an unprivileged uid can execute")
        python = SYSTEM_PYTHON
    return Sandbox(
        SMALL,
        mode="rlimits-only",
        bwrap="/nonexistent/bwrap",
        python=python,
        workdir_root=str(open_workdirs),
    )


async def test_runs_without_bubblewrap(weak: Sandbox, open_workdirs: Path) -> None:
    code = "import os, sys\nprint(sys.stdin.read().upper(), open('in.txt').read(), os.getcwd())"
    result = await weak.run(code, stdin="abc", files={"in.txt": "given"})
    assert result.ok, result
    assert result.isolation == "rlimits-only"
    text, given, cwd = result.stdout.split()
    assert (text, given) == ("ABC", "given") and Path(cwd).parent == open_workdirs
    if os.geteuid() == 0:
        assert result.uid != 0


async def test_limits_still_apply(weak: Sandbox, marker: str) -> None:
    loop = await weak.run(
        "while True:\n    pass", argv=[marker], limits=SMALL.replace(cpu_seconds=1)
    )
    assert loop.reason is StopReason.TIMEOUT and loop.limit == "cpu", loop
    output = await weak.run("print('x' * 10**7)", argv=[marker])
    assert output.reason is StopReason.OUTPUT_LIMIT and output.stdout_truncated
    sleep = await weak.run("import time\ntime.sleep(600)", argv=[marker], timeout=1)
    assert sleep.reason is StopReason.TIMEOUT and sleep.limit == "wall"
    memory = await weak.run("b = bytearray(10 * 1024**3)", argv=[marker])
    assert memory.reason is StopReason.MEMORY
    assert processes_left(marker) == []


async def test_as_root_every_process_of_the_run_is_killed(weak: Sandbox, marker: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("without root the weaker mode cannot kill a process that left its session")
    code = textwrap.dedent(
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
        os.wait()
        """
    )
    result = await weak.run(code, argv=[marker])
    assert result.ok, result
    assert processes_left(marker, result.uid) == []


async def test_as_root_the_interpreter_must_be_reachable_by_the_run_uid(
    open_workdirs: Path,
) -> None:
    if os.geteuid() != 0 or _reachable_by_others(sys.executable):
        pytest.skip("needs root and an interpreter under a 0700 directory (e.g. pyenv in /root)")
    sandbox = Sandbox(mode="rlimits-only", bwrap="/nonexistent", workdir_root=str(open_workdirs))
    with pytest.raises(SandboxUnavailable, match="cannot reach the interpreter"):
        await sandbox.run("print('never')")
