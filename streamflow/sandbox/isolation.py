"""How a sandboxed program is isolated, and the command line that does it.

Three isolations, chosen by :func:`choose_isolation` (``mode="strict"`` picks the first that
applies and refuses when none does; ``mode="rlimits-only"`` is asked for by name):

``bwrap-root`` (running as root): bubblewrap with new pid, network, IPC, UTS (and cgroup)
namespaces, ``--die-with-parent`` and ``--new-session``; the host's root file system read-only;
private size-capped tmpfs on /tmp, /var/tmp, /dev/shm and the caller's $HOME; /root, /home and /run
masked by empty tmpfs (so no secrets and no unix sockets of host services); the run's private work
directory bound read-write at ``/tmp/work``. ``tini`` is the pid namespace's init (``--as-pid-1``):
it reaps orphans, and when the program exits it exits too, so the kernel kills whatever is left in
the namespace before the outer bwrap returns (with bwrap's own init the outer bwrap returns first,
the namespace is torn down later, and the program's CPU time is lost); it keeps root's uid but
only the capabilities setpriv needs. Inside, ``setpriv`` drops to a uid of the run's own (no
passwd entry, no groups, no capabilities, no_new_privs) and ``prlimit`` sets the rlimits. Every
concurrent run gets its own uid, because RLIMIT_NPROC counts the processes of a uid across the
machine. (A user namespace is not used as root: ``--unshare-user`` makes setpriv fail, and a uid
mapped inside one is still root outside.)

``bwrap-userns`` (not root, where the kernel lets unprivileged users create user namespaces): the
same mounts and namespaces plus a user namespace (and ``--disable-userns`` for the program).
The program keeps the caller's uid; RLIMIT_NPROC is counted per user namespace, so each run still
has its own process budget.

``rlimits-only`` (UNSAFE, opt-in only): no namespaces. The program runs in the private work
directory with a clean environment and the same rlimits, wall clock and output caps; as root it
runs as a uid of its own (so /etc/shadow is unreadable and RLIMIT_NPROC applies) and every process
of that uid is killed at the end. It has the network, can read everything its uid may read and
write to every world-writable place (/tmp, /dev/shm); as non-root it runs as the caller, and a
program that calls setsid() may outlive the run. Use it only for code you would run anyway.

Not covered by any isolation (no cgroups are used): the memory of a run as a whole (each process
may map ``Limits.memory_bytes``, and there may be ``Limits.processes`` of them), the total size of
the work directory (each file is capped, not their number), and reading what the host's
permissions let any user read outside the masked directories (a world-writable unix socket there
is reachable too). The wall-clock limit bounds how long any of it lasts.

The interpreter must be reachable by the sandbox's uid. A virtualenv's ``python`` is often a
symlink into the caller's home (pyenv under /root, mode 0700): its installation prefix, the
virtualenv and every ``sys.path`` entry (and ``readable``/``pythonpath`` path) under a masked
directory are bound back read-only, with ``--perms 0755 --dir`` for the directories on the way
(bwrap would create them 0700). As root, any other directory on the way to them that the run's uid
cannot traverse (mode 0700) is masked the same way, so only what is needed shows through it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from streamflow.sandbox.errors import SandboxUnavailable
from streamflow.sandbox.limits import Limits

__all__ = [
    "INSIDE_WORKDIR",
    "Isolation",
    "Mode",
    "Tools",
    "choose_isolation",
    "closed_directories",
    "command_for",
    "interpreter_paths",
    "visible_paths",
]

INSIDE_WORKDIR = "/tmp/work"
"""Where the run's private work directory appears inside the sandbox (its cwd)."""

_MASKED = ("/root", "/home", "/run")
_PRIVATE = ("/tmp", "/var/tmp", "/dev/shm")  # private writable tmpfs inside
_UID_RANGE = range(2_000_000_000, 2_100_000_000)  # no passwd entries, far above system users
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
_INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`, as root `bin/system-deps` "
    "does it; Fedora: `dnf install bubblewrap`)"
)
_WEAKER = (
    "or, only for code you would run unsandboxed anyway, opt into the weaker "
    "mode='rlimits-only' (no network or file-system isolation)"
)


class Mode(StrEnum):
    """What the user asks for."""

    STRICT = "strict"
    """Full isolation (bubblewrap), or refuse to run."""
    RLIMITS_ONLY = "rlimits-only"
    """UNSAFE: limits, a private work directory and a clean environment, nothing more."""


class Isolation(StrEnum):
    """What a run actually gets."""

    BWRAP_ROOT = "bwrap-root"
    BWRAP_USERNS = "bwrap-userns"
    RLIMITS_ONLY = "rlimits-only"


@dataclass(frozen=True)
class Tools:
    """The programs the isolation runs through (absolute paths)."""

    prlimit: str
    bwrap: str | None = None
    tini: str | None = None
    setpriv: str | None = None
    kill: str | None = None


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def _usable(path: str | None) -> bool:
    return path is not None and os.path.isfile(path) and os.access(path, os.X_OK)


def choose_isolation(mode: Mode | str, bwrap: str | None = None) -> tuple[Isolation, Tools]:
    """The isolation ``mode`` gets on this machine, or SandboxUnavailable saying what is missing.

    Only cheap checks (the programs exist); whether the kernel grants the namespaces is learnt by
    running a probe (``Sandbox`` does it before its first run).
    """
    mode = Mode(mode)
    root = os.geteuid() == 0
    prlimit, setpriv, kill = _which("prlimit"), _which("setpriv"), _which("kill")
    util_linux = "util-linux (`apt-get install util-linux`)"
    if not _usable(prlimit):
        raise SandboxUnavailable(
            f"the sandbox needs prlimit, which was not found: install {util_linux}"
        )
    assert prlimit is not None
    if root and not _usable(setpriv):
        raise SandboxUnavailable(
            f"the sandbox needs setpriv to drop root privileges, which was not found: "
            f"install {util_linux}"
        )
    if mode is Mode.RLIMITS_ONLY:
        return Isolation.RLIMITS_ONLY, Tools(prlimit=prlimit, setpriv=setpriv, kill=kill)
    bwrap_path = bwrap if bwrap is not None else _which("bwrap")
    if not _usable(bwrap_path):
        where = f"at {bwrap}" if bwrap is not None else "on PATH"
        raise SandboxUnavailable(
            f"streamflow runs generated code only inside bubblewrap, and no usable bwrap was found "
            f"{where}: {_INSTALL_HINT}; {_WEAKER}."
        )
    assert bwrap_path is not None
    tini = _which("tini")
    if not _usable(tini):
        raise SandboxUnavailable(
            "the sandbox needs tini as the init of its pid namespace (it reaps the program's "
            "orphans and lets the CPU time be measured), which was not found: install tini "
            "(Debian/Ubuntu: `apt-get install tini`, as root `bin/system-deps` does it); "
            f"{_WEAKER}."
        )
    isolation = Isolation.BWRAP_ROOT if root else Isolation.BWRAP_USERNS
    tools = Tools(prlimit=prlimit, bwrap=bwrap_path, tini=tini, setpriv=setpriv, kill=kill)
    return isolation, tools


def refusal_hint(isolation: Isolation, stderr: str) -> str:
    """What to do when the probe run fails: bwrap's own complaint plus the usual cause."""
    if isolation is Isolation.BWRAP_USERNS and (
        "namespace" in stderr or "Operation not permitted" in stderr
    ):
        return (
            "this kernel does not let unprivileged users create the namespaces bubblewrap needs: "
            "enable unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`; on "
            "Ubuntu 24.04+ `sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor "
            f"profile for bwrap), or run as root; {_WEAKER}"
        )
    if "Permission denied" in stderr and isolation is Isolation.RLIMITS_ONLY:
        return (
            "the run's uid cannot reach the interpreter or the work directory: every directory "
            "on the way to them must be world-executable (a home directory such as /root is "
            "often 0700); install the interpreter elsewhere or choose another workdir_root"
        )
    if "Permission denied" in stderr:
        return (
            "the sandbox user cannot read the interpreter or its libraries: they must be readable "
            "by other users (a 0700 directory on the way is bound around, but the files "
            "themselves need o+r and o+x)"
        )
    if "namespace" in stderr or "Operation not permitted" in stderr:
        return f"the namespaces were refused (a container without CAP_SYS_ADMIN?); {_WEAKER}"
    return _WEAKER


# -- what must stay visible ------------------------------------------------------------------

_interpreters: dict[str, tuple[str, ...]] = {}
_interpreters_lock = threading.Lock()


def interpreter_paths(python: str) -> tuple[str, ...]:
    """The directories ``python`` needs: its prefixes and ``sys.path`` (asked once, cached)."""
    real = os.path.realpath(python)
    with _interpreters_lock:
        if real in _interpreters:
            return _interpreters[real]
    if real == os.path.realpath(sys.executable):
        paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path]
    else:
        ask = (
            "import json, sys; "
            "print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path]))"
        )
        try:
            out = subprocess.run(
                [python, "-s", "-c", ask], capture_output=True, check=True, timeout=60
            ).stdout
            paths = list(json.loads(out))
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            problem = f"cannot run the sandbox's interpreter {python}: {exc}"
            raise SandboxUnavailable(problem) from exc
    paths += [os.path.dirname(python), os.path.dirname(real)]
    found = tuple(dict.fromkeys(os.path.abspath(p) for p in paths if p and os.path.isabs(p)))
    with _interpreters_lock:
        _interpreters[real] = found
    return found


def _masks() -> list[str]:
    home = os.path.expanduser("~")
    masks = [m for m in _MASKED if os.path.isdir(m)]
    if home not in ("/", "") and os.path.isdir(home) and home not in masks:
        masks.append(home)
    return sorted(masks, key=lambda m: m.count("/"))


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def visible_paths(candidates: Iterable[str], masks: Sequence[str]) -> list[str]:
    """The candidates (and their real paths) that a mask would hide, outermost only.

    A mask itself is never revealed (that would undo it): a candidate equal to one is dropped.
    """
    wanted: set[str] = set()
    for candidate in candidates:
        for path in {os.path.abspath(candidate), os.path.realpath(candidate)}:
            if not os.path.exists(path) or path in masks:
                continue
            if any(_under(path, m) for m in masks):
                wanted.add(path)
    outermost = [p for p in wanted if not any(q != p and _under(p, q) for q in wanted)]
    return sorted(outermost)


def closed_directories(paths: Iterable[str]) -> list[str]:
    """The outermost directories on the way to ``paths`` (their real paths too) that other
    users cannot traverse (no o+x), such as a 0700 home directory."""
    closed: set[str] = set()
    for candidate in paths:
        for path in {os.path.abspath(candidate), os.path.realpath(candidate)}:
            for ancestor in PurePosixPath(path).parents:
                try:
                    if str(ancestor) != "/" and not os.stat(ancestor).st_mode & 0o001:
                        closed.add(str(ancestor))
                except OSError:
                    pass
    return sorted(p for p in closed if not any(q != p and _under(p, q) for q in closed))


def _parents(path: str, mounts: Sequence[str]) -> list[str]:
    """``--perms 0755 --dir`` for each directory between the innermost of ``mounts`` holding
    ``path`` and ``path`` (bwrap would create them 0700, out of the run uid's reach)."""
    enclosing = [m for m in mounts if m != path and _under(path, m)]
    if not enclosing:
        return []
    outer = PurePosixPath(max(enclosing, key=len))
    between = [p for p in PurePosixPath(path).relative_to(outer).parents if str(p) != "."]
    args: list[str] = []
    for parent in reversed(between):
        args += ["--perms", "0755", "--dir", str(outer / parent)]
    return args


# -- uids --------------------------------------------------------------------------------------

_uids_in_use: set[int] = set()
_uids_lock = threading.Lock()


def acquire_uid() -> int:
    """A uid no other run of this process uses now (random in a range no system uses, so runs in
    other processes are unlikely to share it either)."""
    with _uids_lock:
        while (uid := random.choice(_UID_RANGE)) in _uids_in_use:
            pass
        _uids_in_use.add(uid)
        return uid


def release_uid(uid: int | None) -> None:
    if uid is not None:
        with _uids_lock:
            _uids_in_use.discard(uid)


# -- the command line ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    argv: list[str]
    env: dict[str, str]
    cwd: str | None
    kill_uid_argv: list[str]


def _prlimit(tools: Tools, limits: Limits) -> list[str]:
    cpu = limits.cpu_rlimit
    return [
        tools.prlimit,
        f"--cpu={cpu}:{cpu + 1}",  # SIGXCPU at the soft limit, SIGKILL a second later
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def _setpriv(tools: Tools, uid: int) -> list[str]:
    assert tools.setpriv is not None
    return [
        tools.setpriv,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


def command_for(
    isolation: Isolation,
    tools: Tools,
    *,
    python: str,
    python_args: Sequence[str],
    workdir: str,
    limits: Limits,
    uid: int | None,
    env: Mapping[str, str],
    readable: Sequence[str],
) -> Command:
    """The command that runs ``python python_args`` isolated, with ``workdir`` as its cwd."""
    program = [python, "-s", *python_args]
    if isolation is Isolation.RLIMITS_ONLY:
        inner_env = {
            "PATH": f"{os.path.dirname(python)}:{_SYSTEM_PATH}",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            **env,
        }
        argv = _prlimit(tools, limits) + program
        kill_argv: list[str] = []
        if uid is not None:
            argv = _setpriv(tools, uid) + argv
            if tools.kill:
                kill_argv = [*_setpriv(tools, uid), tools.kill, "-KILL", "-1"]
        return Command(argv=argv, env=inner_env, cwd=workdir, kill_uid_argv=kill_argv)

    assert tools.bwrap is not None
    home = os.path.expanduser("~")
    masks = _masks()
    size = str(limits.tmpfs_bytes)
    args = [
        tools.bwrap,
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--as-pid-1",  # tini is the namespace's init (see the module docstring)
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
    ]
    if isolation is Isolation.BWRAP_USERNS:
        args += ["--unshare-user", "--disable-userns"]
    else:
        # tini stays root inside: leave it only what setpriv needs to drop to the run's uid.
        args += ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"):
            args += ["--cap-add", cap]
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for writable in _PRIVATE:
        args += ["--perms", "1777", "--size", size, "--tmpfs", writable]
    private = list(_PRIVATE)
    candidates = [*interpreter_paths(python), *readable]
    if isolation is Isolation.BWRAP_ROOT:
        # A directory the run's uid cannot traverse (mode 0700) on the way to something it needs:
        # mask it too, and bind back only what is needed.
        for closed in closed_directories(candidates):
            if not any(_under(closed, m) for m in (*masks, *private)):
                masks.append(closed)
    masks.sort(key=lambda m: m.count("/"))
    read_only_masks = []
    for mask in masks:
        args += _parents(mask, [*private, *masks])
        if mask == home:  # the program's $HOME: private and writable
            args += ["--perms", "1777", "--size", size, "--tmpfs", mask]
        else:
            args += ["--perms", "0755", "--size", str(1 << 20), "--tmpfs", mask]
            read_only_masks.append(mask)
    hiding = [*masks, *private]
    for path in visible_paths(candidates, hiding):
        args += [*_parents(path, hiding), "--ro-bind", path, path]
    args += ["--perms", "0755", "--dir", INSIDE_WORKDIR, "--bind", workdir, INSIDE_WORKDIR]
    for mask in read_only_masks:
        args += ["--remount-ro", mask]
    inner_env = {
        "PATH": f"{os.path.dirname(python)}:{_SYSTEM_PATH}",
        "HOME": home if home in masks else INSIDE_WORKDIR,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        **env,
    }
    args += ["--chdir", INSIDE_WORKDIR, "--clearenv"]
    for key, value in inner_env.items():
        args += ["--setenv", key, value]
    assert tools.tini is not None
    args += ["--", tools.tini, "--"]
    if isolation is Isolation.BWRAP_ROOT:
        assert uid is not None
        args += _setpriv(tools, uid)
    args += _prlimit(tools, limits) + program
    return Command(argv=args, env={"PATH": _SYSTEM_PATH}, cwd=None, kill_uid_argv=[])
