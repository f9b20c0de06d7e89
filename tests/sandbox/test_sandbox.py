"""The sandbox's API on ordinary programs: output, exit status, stdin, files, argv, env, collected
files, concurrency, cancellation, and the refusal to run without isolation."""

from __future__ import annotations

import os
import pickle
import stat
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from streamflow.sandbox import INSIDE_WORKDIR, Limits, Sandbox, SandboxUnavailable, StopReason
from streamflow.sandbox import isolation as isolation_module

from .conftest import SMALL, needs_bwrap, processes_left

REPO = Path(__file__).resolve().parents[2]


@needs_bwrap
async def test_stdout_stderr_and_exit_status(sandbox: Sandbox) -> None:
    code = "import sys\nprint('to out')\nprint('to err', file=sys.stderr)\nsys.exit(3)"
    result = await sandbox.run(code)
    assert result.reason is StopReason.ERROR and result.exit_code == 3
    assert result.stdout == "to out\n" and result.stderr == "to err\n"
    assert not result.stdout_truncated and not result.stderr_truncated
    assert result.isolation in ("bwrap-root", "bwrap-userns")


@needs_bwrap
async def test_ok_run(sandbox: Sandbox) -> None:
    result = await sandbox.run("print(sum(range(10)))")
    assert result.ok and result.exit_code == 0 and result.stdout == "45\n"
    assert result.reason is StopReason.OK and result.wall_seconds > 0
    if os.geteuid() == 0:
        assert result.uid != 0


@needs_bwrap
async def test_uncaught_exception_is_an_error_with_its_last_line(sandbox: Sandbox) -> None:
    result = await sandbox.run("def f():\n    raise KeyError('missing')\nf()")
    assert result.reason is StopReason.ERROR and result.exit_code == 1
    assert result.detail == "KeyError: 'missing'"
    assert 'File "/tmp/work/main.py", line 2' in result.stderr


@needs_bwrap
async def test_killed_by_its_own_signal(sandbox: Sandbox) -> None:
    result = await sandbox.run("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)")
    assert result.reason is StopReason.KILLED and result.signal == 15
    assert result.exit_code is None and "SIGTERM" in result.detail


@needs_bwrap
async def test_stdin_is_fed(sandbox: Sandbox) -> None:
    lines = "".join(f"line {i}\n" for i in range(20_000))  # more than a pipe buffer
    code = "import sys\ndata = sys.stdin.read()\nprint(len(data), data.splitlines()[-1])"
    result = await sandbox.run(code, stdin=lines)
    assert result.ok, result
    assert result.stdout == f"{len(lines)} line 19999\n"


@needs_bwrap
async def test_no_stdin_reads_empty(sandbox: Sandbox) -> None:
    result = await sandbox.run("import sys\nprint(repr(sys.stdin.read()))")
    assert result.stdout == "''\n"


@needs_bwrap
async def test_files_argv_env_and_cwd(sandbox: Sandbox) -> None:
    code = textwrap.dedent(
        """
        import os, sys
        import helper
        print(helper.double(21))
        print(open("data/input.txt").read())
        print(open("blob.bin", "rb").read() == bytes(range(256)))
        print(sys.argv[1:], os.environ["GREETING"], os.getcwd())
        """
    )
    files = {
        "helper.py": "def double(x):\n    return 2 * x\n",
        "data/input.txt": "given text",
        "blob.bin": bytes(range(256)),
    }
    result = await sandbox.run(code, files=files, argv=["a", "b c"], env={"GREETING": "hello"})
    assert result.ok, result
    assert result.stdout.splitlines() == [
        "42",
        "given text",
        "True",
        f"['a', 'b c'] hello {INSIDE_WORKDIR}",
    ]


@needs_bwrap
async def test_environment_is_clean(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_SECRET_TOKEN", "do-not-leak")
    result = await sandbox.run("import os\nprint(sorted(os.environ))")
    assert "SF_SECRET_TOKEN" not in result.stdout
    assert "'HOME'" in result.stdout and "'PATH'" in result.stdout


@needs_bwrap
async def test_collect_reads_files_back_but_never_through_a_symlink(sandbox: Sandbox) -> None:
    code = textwrap.dedent(
        """
        import os
        os.makedirs("out", exist_ok=True)
        open("out/result.jsonl", "w").write('{"a": 1}\\n')
        open("out/other.txt", "w").write("not wanted")
        os.symlink("/etc/passwd", "out/leak.jsonl")
        """
    )
    result = await sandbox.run(code, collect=["out/*.jsonl"])
    assert result.ok, result
    assert result.files == {"out/result.jsonl": b'{"a": 1}\n'}
    assert not result.files_truncated


@needs_bwrap
async def test_collect_stops_at_its_byte_limit(sandbox: Sandbox) -> None:
    code = "for i in range(3):\n    open(f'part{i}.bin', 'wb').write(b'x' * 1000)"
    result = await sandbox.run(code, collect=["*.bin"], limits=SMALL.replace(collect_bytes=2500))
    assert result.files_truncated and sorted(result.files) == ["part0.bin", "part1.bin"]


@needs_bwrap
async def test_run_file_and_run_module(sandbox: Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "pipeline.py"
    script.write_text("import sys, lib\nprint(lib.NAME, sys.argv[1:])\n")
    files = {"lib.py": "NAME = 'lib'\n"}
    result = await sandbox.run_file(script, files=files, argv=["x"])
    assert result.ok and result.stdout == "lib ['x']\n", result
    module = await sandbox.run_module("tool", files={"tool.py": "print('as module')"})
    assert module.ok and module.stdout == "as module\n", module
    installed = await sandbox.run_module("json.tool", stdin='{"b": [1]}')
    assert installed.ok and '"b"' in installed.stdout, installed


@needs_bwrap
async def test_the_installed_streamflow_is_importable(sandbox: Sandbox) -> None:
    result = await sandbox.run("import streamflow\nprint(streamflow.Pipeline.__name__)")
    assert result.ok and result.stdout == "Pipeline\n", result


@needs_bwrap
async def test_a_checkout_on_pythonpath_is_what_the_program_imports(workdirs: Path) -> None:
    """How a generated pipeline imports the very streamflow that runs it (this checkout)."""
    sandbox = Sandbox(SMALL, pythonpath=[str(REPO)], workdir_root=str(workdirs))
    code = "import streamflow, streamflow.sandbox\nprint(streamflow.__file__)"
    result = await sandbox.run(code, limits=SMALL.replace(memory_bytes=2 << 30))
    assert result.ok and result.stdout == f"{REPO / 'streamflow' / '__init__.py'}\n", result


@needs_bwrap
async def test_pythonpath_makes_a_host_directory_importable(workdirs: Path, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "extra_module.py").write_text("VALUE = 7\n")
    os.chmod(tmp_path, 0o755)
    sandbox = Sandbox(SMALL, pythonpath=[str(library)], workdir_root=str(workdirs))
    result = await sandbox.run("import extra_module\nprint(extra_module.VALUE)")
    assert result.ok and result.stdout == "7\n", result


@needs_bwrap
async def test_many_runs_at_once_are_all_correct(workdirs: Path, marker: str) -> None:
    sandbox = Sandbox(SMALL, max_concurrent=3, workdir_root=str(workdirs))
    results: dict[int, str] = {}

    async def one(i: int) -> None:
        result = await sandbox.run(
            "import sys\nn = int(sys.stdin.read())\nprint(n * n)", stdin=str(i), argv=[marker]
        )
        assert result.ok, result
        results[i] = result.stdout

    async with anyio.create_task_group() as tg:
        for i in range(8):
            tg.start_soon(one, i)
    assert results == {i: f"{i * i}\n" for i in range(8)}
    assert processes_left(marker) == []


@needs_bwrap
async def test_cancelling_the_caller_kills_the_run(sandbox: Sandbox, marker: str) -> None:
    with anyio.move_on_after(2) as scope:
        await sandbox.run("import time\ntime.sleep(600)", argv=[marker], timeout=600)
    assert scope.cancelled_caught
    assert processes_left(marker) == []


@needs_bwrap
async def test_a_sandbox_pickles_and_still_runs(sandbox: Sandbox) -> None:
    copy = pickle.loads(pickle.dumps(sandbox))
    result = await copy.run("print('again')")
    assert result.ok and result.stdout == "again\n"


def test_refuses_without_bubblewrap() -> None:
    with pytest.raises(SandboxUnavailable) as excinfo:
        Sandbox(bwrap="/nonexistent/bwrap")
    message = str(excinfo.value)
    assert "/nonexistent/bwrap" in message
    assert "apt-get install bubblewrap" in message
    assert "mode='rlimits-only'" in message


def test_refuses_without_tini(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_which = isolation_module._which
    monkeypatch.setattr(
        isolation_module, "_which", lambda name: None if name == "tini" else real_which(name)
    )
    fake_bwrap = tmp_path / "bwrap"
    fake_bwrap.write_text("#!/bin/sh\nexit 0\n")
    fake_bwrap.chmod(0o755)
    with pytest.raises(SandboxUnavailable, match="apt-get install tini"):
        Sandbox(bwrap=str(fake_bwrap))


async def test_refuses_when_namespaces_are_denied(tmp_path: Path) -> None:
    """A bwrap that cannot create namespaces (simulated) makes the first run raise, with bwrap's
    complaint and the way out; it is not reported as the program's failure."""
    if shutil_which("tini") is None:
        pytest.skip("tini is not installed: run bin/system-deps as root")
    fake_bwrap = tmp_path / "bwrap"
    fake_bwrap.write_text(
        "#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\n"
        "exit 1\n"
    )
    fake_bwrap.chmod(0o755)
    sandbox = Sandbox(bwrap=str(fake_bwrap), workdir_root=str(tmp_path))
    with pytest.raises(SandboxUnavailable) as excinfo:
        await sandbox.run("print('never')")
    assert "Creating new namespace failed" in str(excinfo.value)
    assert "rlimits-only" in str(excinfo.value)


def test_mode_must_be_known() -> None:
    with pytest.raises(ValueError):
        Sandbox(mode="none")


@needs_bwrap
async def test_bad_file_names_are_refused(sandbox: Sandbox) -> None:
    for name in ("/etc/passwd", "../escape.py", "a/../../b", ""):
        with pytest.raises(ValueError):
            await sandbox.run("pass", files={name: "x"})
    with pytest.raises(ValueError, match=r"main\.py"):
        await sandbox.run("pass", files={"main.py": "x"})


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cpu_seconds"):
        Limits(cpu_seconds=0)
    assert Limits(cpu_seconds=1.2).cpu_rlimit == 2


def test_work_directory_is_private_on_the_host(tmp_path: Path) -> None:
    from streamflow.sandbox.workdir import create_workdir, remove_workdir

    workdir = create_workdir(str(tmp_path), {"a/b.txt": "x"}, owner=None)
    try:
        assert stat.S_IMODE(os.stat(workdir).st_mode) == 0o700
        assert Path(workdir, "a/b.txt").read_text() == "x"
    finally:
        remove_workdir(workdir)
    assert not Path(workdir).exists()


def shutil_which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def test_python_defaults_to_this_interpreter() -> None:
    if shutil_which("bwrap") is None or shutil_which("tini") is None:
        sandbox = Sandbox(mode="rlimits-only")
    else:
        sandbox = Sandbox()
    assert sandbox.python == os.path.abspath(sys.executable)
