"""The supervisor of one sandboxed process: feeds stdin, reads capped output, enforces the wall
clock, kills everything at the end, and reaps with the CPU time it used.

It is blocking code (one ``selectors`` loop) and runs in a worker thread, never on the event loop.
Output is read in 64 KiB chunks and only ``output_bytes`` of each stream are kept: a program that
writes more is killed as soon as the cap is passed, so a gigabyte of output costs the supervisor
nothing but the reading of one chunk past the cap.

Killing. Under bubblewrap the program runs in a pid namespace whose init is bwrap's own; bwrap
reports that init's pid (``--json-status-fd``) and the supervisor holds a pidfd to it. SIGKILL to
that init makes the kernel kill every process of the namespace before init is reaped; and when the
program exits by itself, init exits too and takes the namespace's other processes (daemons that
double-forked away) with it. The outer bwrap waits for init, so once the supervisor has reaped the
outer bwrap, nothing of the sandbox is left. In the rlimits-only mode there is no namespace: the
process group is killed, and as root every process of the run's own uid (``kill -1`` as that uid).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from streamflow.sandbox.result import RawOutcome

__all__ = ["Supervision", "supervise"]

_CHUNK = 1 << 16
_DRAIN_SECONDS = 1.0  # after the program ends: how long to wait for its pipes to close


@dataclass
class Supervision:
    """How to watch one process."""

    argv: Sequence[str]
    env: dict[str, str]
    cwd: str | None
    stdin: bytes | None
    wall_seconds: float
    output_bytes: int
    bwrap_status: bool = False
    """Insert ``--json-status-fd`` after argv[0] (bwrap) to learn the namespace's init pid."""
    kill_uid: int | None = None
    """rlimits-only as root: at the end, kill every process of this uid."""
    kill_uid_argv: Sequence[str] = ()
    """How to run ``kill -KILL -1`` as ``kill_uid``."""
    cancel_fd: int | None = None
    """Readable when the caller gives up: kill and return at once."""


@dataclass
class _Stream:
    cap: int
    data: bytearray = field(default_factory=bytearray)
    truncated: bool = False

    def add(self, chunk: bytes) -> bool:
        """Keep what fits; True when the cap is passed."""
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.data += chunk[: max(room, 0)]
            self.truncated = True
            return True
        self.data += chunk
        return False


class _Run:
    def __init__(self, spec: Supervision) -> None:
        self.spec = spec
        self.init_pidfd: int | None = None  # tini, the namespace's init
        self.init_pid: int | None = None
        self.pid_namespace: int | None = None
        self.cpu_of_killed = 0.0
        self.stopped_by: str | None = None
        self.started = not spec.bwrap_status
        self.status_buffer = b""

    def start(self) -> subprocess.Popen[bytes]:
        argv = list(self.spec.argv)
        pass_fds: tuple[int, ...] = ()
        self.status_read: int | None = None
        if self.spec.bwrap_status:
            self.status_read, status_write = os.pipe()
            argv[1:1] = ["--json-status-fd", str(status_write)]
            pass_fds = (status_write,)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if self.spec.stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.spec.env,
                cwd=self.spec.cwd,
                pass_fds=pass_fds,
                start_new_session=True,
            )
        except BaseException:
            if self.status_read is not None:
                os.close(self.status_read)
            raise
        finally:
            if pass_fds:
                os.close(pass_fds[0])
        return self.proc

    def read_status(self, chunk: bytes, *, alive: bool = True) -> None:
        """bwrap writes one JSON document per line; the first names the namespace's init."""
        self.status_buffer += chunk
        while b"\n" in self.status_buffer:
            line, self.status_buffer = self.status_buffer.split(b"\n", 1)
            with contextlib.suppress(ValueError):
                doc = json.loads(line)
                if "child-pid" in doc and not self.started:
                    self.started = True
                    self.pid_namespace = doc.get("pid-namespace")
                    if alive:
                        self.init_pid = int(doc["child-pid"])
                        self.init_pidfd = _pidfd_of_child(self.init_pid, self.proc.pid)

    def kill(self, why: str) -> None:
        """Kill every process of the run, once; ``why`` is what the result reports."""
        if self.stopped_by is not None:
            return
        self.stopped_by = why
        if self.init_pidfd is not None:
            # The namespace's init: the kernel kills the rest of the namespace before init is
            # reaped, and the outer bwrap (which waits for init) exits only after that. The CPU
            # time of what is killed that way is lost to rusage: sample it first.
            if self.pid_namespace is not None and self.init_pid is not None:
                self.cpu_of_killed = _cpu_in_namespace(self.pid_namespace, self.init_pid)
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.init_pidfd, signal.SIGKILL)
            return
        # No namespace yet (bwrap still setting up: --die-with-parent takes its child along), or
        # none at all (rlimits-only): the whole session.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.kill_leftovers()

    def kill_leftovers(self) -> None:
        """rlimits-only, once the program has ended: what it left behind in its session, and as
        root every process of its uid (kill(-1) as that uid signals them all in one pass, which
        fork cannot outrun). The process group leader is not reaped yet, so its pgid is ours."""
        if self.spec.bwrap_status:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.spec.kill_uid is not None and self.spec.kill_uid_argv:
            subprocess.run(
                self.spec.kill_uid_argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )


def _cpu_in_namespace(namespace: int, init_pid: int) -> float:
    """CPU seconds of the processes now in pid namespace ``namespace`` (with the children each
    has reaped), leaving out its init, whose reaped children rusage already counts."""
    want = f"pid:[{namespace}]"
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == init_pid:
            continue
        try:
            if os.readlink(f"/proc/{entry.name}/ns/pid") != want:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # gone already
        ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _pidfd_of_child(pid: int, parent: int) -> int | None:
    """A pidfd for ``pid`` if it is still ``parent``'s child (so not a reused pid)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            ppid = next((int(line.split()[1]) for line in f if line.startswith("PPid:")), -1)
    except OSError:
        ppid = -1
    if ppid != parent:
        os.close(fd)
        return None
    return fd


def supervise(spec: Supervision) -> RawOutcome:
    """Run ``spec.argv`` to its end under the limits the supervisor enforces; blocking."""
    run = _Run(spec)
    started_at = time.monotonic()
    proc = run.start()
    assert proc.stdout is not None and proc.stderr is not None
    exit_fd = os.pidfd_open(proc.pid)
    streams = {
        proc.stdout.fileno(): _Stream(spec.output_bytes),
        proc.stderr.fileno(): _Stream(spec.output_bytes),
    }
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    pending_stdin = memoryview(spec.stdin or b"")
    stdin_fd = proc.stdin.fileno() if proc.stdin is not None else -1
    sel = selectors.DefaultSelector()
    try:
        for fd in streams:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(exit_fd, selectors.EVENT_READ)
        if run.status_read is not None:
            sel.register(run.status_read, selectors.EVENT_READ)
        if spec.cancel_fd is not None:
            sel.register(spec.cancel_fd, selectors.EVENT_READ)
        if proc.stdin is not None:
            os.set_blocking(stdin_fd, False)
            sel.register(stdin_fd, selectors.EVENT_WRITE)
        deadline = started_at + spec.wall_seconds
        drain_until: float | None = None  # set once the program has ended
        open_streams = set(streams)
        while open_streams or drain_until is None:
            now = time.monotonic()
            if drain_until is not None:
                if now >= drain_until:
                    break  # something outside the sandbox holds the pipes: stop waiting
                timeout = drain_until - now
            elif run.stopped_by is not None:
                timeout = 5.0  # killed: waiting for the exit
            elif now >= deadline:
                run.kill("wall")
                timeout = 5.0
            else:
                timeout = deadline - now
            for key, _ in sel.select(timeout):
                fd = int(key.fd)
                if fd == exit_fd:
                    sel.unregister(fd)
                    run.kill_leftovers()
                    drain_until = time.monotonic() + _DRAIN_SECONDS
                elif fd == spec.cancel_fd:
                    sel.unregister(fd)
                    run.kill("cancelled")
                elif fd == run.status_read:
                    chunk = os.read(fd, _CHUNK)
                    if chunk:
                        run.read_status(chunk)
                    else:
                        sel.unregister(fd)
                elif fd == stdin_fd:
                    try:
                        pending_stdin = pending_stdin[os.write(fd, pending_stdin[:_CHUNK]) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # the program does not read its stdin: fine
                        pending_stdin = pending_stdin[:0]
                    if not pending_stdin:
                        sel.unregister(fd)
                        assert proc.stdin is not None
                        proc.stdin.close()
                else:
                    try:
                        chunk = os.read(fd, _CHUNK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        sel.unregister(fd)
                        open_streams.discard(fd)
                    elif streams[fd].add(chunk):
                        run.kill("output")
        _, wait_status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        wall = time.monotonic() - started_at
        if run.status_read is not None:  # what bwrap wrote that the loop did not read yet
            os.set_blocking(run.status_read, False)
            with contextlib.suppress(BlockingIOError, OSError):
                while chunk := os.read(run.status_read, _CHUNK):
                    run.read_status(chunk, alive=False)
    except BaseException:
        run.kill("cancelled")
        with contextlib.suppress(ChildProcessError):
            os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
        raise
    finally:
        sel.close()
        for held in (exit_fd, run.init_pidfd, run.status_read):
            if held is not None:
                os.close(held)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
    if run.status_buffer:
        run.read_status(b"\n", alive=False)
    return RawOutcome(
        wait_status=wait_status,
        stdout=bytes(streams[out_fd].data),
        stderr=bytes(streams[err_fd].data),
        stdout_truncated=streams[out_fd].truncated,
        stderr_truncated=streams[err_fd].truncated,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime + run.cpu_of_killed,
        stopped_by=run.stopped_by,
        started=run.started,
    )
