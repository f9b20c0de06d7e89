"""The command line of each isolation, and what stays visible under the masks."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamflow.sandbox import Isolation, Limits, SandboxUnavailable
from streamflow.sandbox import isolation as isolation_module
from streamflow.sandbox.isolation import (
    INSIDE_WORKDIR,
    Tools,
    choose_isolation,
    closed_directories,
    command_for,
    visible_paths,
)

TOOLS = Tools(
    prlimit="/usr/bin/prlimit",
    bwrap="/usr/bin/bwrap",
    tini="/usr/bin/tini",
    setpriv="/usr/bin/setpriv",
    kill="/usr/bin/kill",
)
LIMITS = Limits(
    cpu_seconds=2.5, memory_bytes=1 << 30, processes=16, file_bytes=1 << 20, open_files=64
)


def command(isolation: Isolation, uid: int | None = 2_000_000_123) -> list[str]:
    return command_for(
        isolation,
        TOOLS,
        python=sys.executable,
        python_args=["main.py", "x"],
        workdir="/tmp/host-workdir",
        limits=LIMITS,
        uid=uid,
        env={"EXTRA": "1"},
        readable=(),
    ).argv


def test_bwrap_root_drops_to_the_run_uid_inside_the_namespaces() -> None:
    argv = command(Isolation.BWRAP_ROOT)
    for flag in (
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--clearenv",
    ):
        assert flag in argv
    assert "--unshare-user" not in argv  # it would make setpriv fail
    caps = [argv[i : i + 2] for i, a in enumerate(argv) if a in ("--cap-drop", "--cap-add")]
    assert caps == [
        ["--cap-drop", "ALL"],
        ["--cap-add", "CAP_SETUID"],
        ["--cap-add", "CAP_SETGID"],
        ["--cap-add", "CAP_SETPCAP"],
    ]
    assert argv[argv.index("--ro-bind") + 1 : argv.index("--ro-bind") + 3] == ["/", "/"]
    bind = argv.index("--bind")
    assert argv[bind + 1 : bind + 3] == ["/tmp/host-workdir", INSIDE_WORKDIR]
    program = argv[argv.index("--") + 1 :]
    assert program[:2] == ["/usr/bin/tini", "--"]
    assert program[2:4] == ["/usr/bin/setpriv", "--reuid=2000000123"]
    assert "--no-new-privs" in program and "--bounding-set=-all" in program
    limits = program[program.index("/usr/bin/prlimit") :]
    assert {
        "--cpu=3:4",
        f"--as={1 << 30}",
        "--nproc=16",
        f"--fsize={1 << 20}",
        "--nofile=64",
        "--core=0",
    } <= set(limits)
    assert limits[-4:] == [sys.executable, "-s", "main.py", "x"]


def test_private_tmpfs_have_a_size() -> None:
    argv = command(Isolation.BWRAP_ROOT)
    for where in ("/tmp", "/var/tmp", "/dev/shm"):
        i = argv.index(where)
        assert argv[i - 1] == "--tmpfs" and argv[i - 3] == "--size"
        assert argv[i - 2] == str(LIMITS.tmpfs_bytes)


def test_userns_variant_adds_a_user_namespace_and_keeps_the_uid() -> None:
    argv = command(Isolation.BWRAP_USERNS, uid=None)
    assert "--unshare-user" in argv and "--disable-userns" in argv
    assert "/usr/bin/setpriv" not in argv


def test_rlimits_only_is_just_limits_and_a_uid() -> None:
    cmd = command_for(
        Isolation.RLIMITS_ONLY,
        TOOLS,
        python=sys.executable,
        python_args=["main.py"],
        workdir="/tmp/host-workdir",
        limits=LIMITS,
        uid=2_000_000_123,
        env={},
        readable=(),
    )
    assert cmd.argv[0] == "/usr/bin/setpriv" and "/usr/bin/bwrap" not in cmd.argv
    assert cmd.cwd == "/tmp/host-workdir" and cmd.env["HOME"] == "/tmp/host-workdir"
    assert cmd.kill_uid_argv[-3:] == ["/usr/bin/kill", "-KILL", "-1"]


def test_environment_is_the_clean_defaults_plus_the_callers() -> None:
    argv = command(Isolation.BWRAP_ROOT)
    env = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setenv"}
    assert env["EXTRA"] == "1" and env["TMPDIR"] == "/tmp"
    assert set(env) == {"PATH", "HOME", "TMPDIR", "LANG", "EXTRA"}


def test_visible_paths_reveal_only_what_a_mask_hides(tmp_path: Path) -> None:
    (tmp_path / "home" / "u" / ".pyenv" / "lib").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    masks = [str(tmp_path / "home")]
    found = visible_paths(
        [
            str(tmp_path / "home" / "u" / ".pyenv"),
            str(tmp_path / "home" / "u" / ".pyenv" / "lib"),  # inside the first: not repeated
            str(tmp_path / "work"),  # not masked: visible anyway
            str(tmp_path / "home"),  # the mask itself is never revealed
            str(tmp_path / "home" / "missing"),
        ],
        masks,
    )
    assert found == [str(tmp_path / "home" / "u" / ".pyenv")]


def test_revealed_directories_get_world_traversable_parents(tmp_path: Path) -> None:
    if not str(Path(os.path.realpath(sys.executable))).startswith(str(Path.home())):
        pytest.skip("the interpreter is not under the home directory here")
    argv = command(Isolation.BWRAP_ROOT)
    real_prefix = os.path.realpath(sys.base_prefix)
    assert argv[argv.index(real_prefix) - 1] == "--ro-bind"
    parent = os.path.dirname(real_prefix)
    assert argv[argv.index(parent) - 3 : argv.index(parent)] == ["--perms", "0755", "--dir"]


def test_strict_refuses_a_missing_bwrap_by_path() -> None:
    with pytest.raises(SandboxUnavailable, match="no usable bwrap was found at /nowhere"):
        choose_isolation("strict", "/nowhere")
    isolation, tools = choose_isolation("rlimits-only", "/nowhere")
    assert isolation is Isolation.RLIMITS_ONLY and tools.bwrap is None


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory all the way from / traversable by other users (unlike pytest's tmp_path)."""
    path = Path(tempfile.mkdtemp())
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_closed_directories_on_the_way_are_masked_and_the_path_bound_back(
    open_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = open_dir / "private"
    library = closed / "deep" / "lib"
    library.mkdir(parents=True)
    closed.chmod(0o700)
    assert closed_directories([str(library)]) == [str(closed)]
    # It lies under /tmp, which the sandbox hides anyway: pretend it does not.
    monkeypatch.setattr(isolation_module, "_PRIVATE", ("/dev/shm",))
    argv = command_for(
        Isolation.BWRAP_ROOT,
        TOOLS,
        python=sys.executable,
        python_args=["main.py"],
        workdir="/somewhere/host-workdir",
        limits=LIMITS,
        uid=2_000_000_123,
        env={},
        readable=[str(library)],
    ).argv
    mask = argv.index(str(closed))
    assert argv[mask - 1] == "--tmpfs" and argv[mask - 5 : mask - 3] == ["--perms", "0755"]
    remounted = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--remount-ro"]
    assert str(closed) in remounted
    bind = argv.index(str(library)) - 1
    assert argv[bind] == "--ro-bind"
    assert argv[bind - 4 : bind] == ["--perms", "0755", "--dir", str(closed / "deep")]
