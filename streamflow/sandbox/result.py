"""What one sandboxed run gives back, and how its end is explained.

A :class:`SandboxResult` always says why the program stopped (:class:`StopReason`). Reasons the
supervisor causes itself are certain: ``timeout`` (the wall-clock limit; or the CPU limit, seen as
the kernel's SIGXCPU), ``output_limit``, ``refused`` (the sandbox could not be set up: the program
never ran). ``memory`` is inferred: a program that fails to allocate under the address-space limit
usually dies with Python's ``MemoryError`` (or a C library's "Cannot allocate memory"), which the
sandbox reads from the end of stderr. ``limit`` names the limit involved when one is known; the
file-size, open-file and process limits surface as ordinary errors (EFBIG, EMFILE, EAGAIN from
fork) that the program may catch, so for those ``limit`` is a hint read from its last error line.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from streamflow.sandbox.limits import Limits

__all__ = ["SandboxResult", "StopReason"]


class StopReason(StrEnum):
    """Why a sandboxed program stopped."""

    OK = "ok"
    """It exited with status 0."""
    ERROR = "error"
    """It exited with a non-zero status (an uncaught exception, a failed assertion, a hit limit
    that the program saw as an error: see ``SandboxResult.limit``)."""
    TIMEOUT = "timeout"
    """It passed the wall-clock or the CPU-time limit and was killed."""
    MEMORY = "memory"
    """It failed to allocate memory under the address-space limit."""
    OUTPUT_LIMIT = "output_limit"
    """It wrote more than the output cap to stdout or stderr and was killed."""
    KILLED = "killed"
    """A signal ended it (its own, the kernel's, or the caller's cancellation)."""
    REFUSED = "refused"
    """The sandbox could not be set up; the program never ran (``detail`` says why)."""


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one run: how it ended, what it wrote, what it cost."""

    reason: StopReason
    exit_code: int | None
    """The exit status, or None when a signal ended the program."""
    signal: int | None
    """The signal that ended the program, if one did."""
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    wall_seconds: float
    cpu_seconds: float
    """User + system CPU time of the sandbox's processes (those it waited for)."""
    limit: str | None = None
    """The limit involved: wall, cpu, output, memory, processes, file_size or open_files."""
    detail: str = ""
    """One line a person can read: what happened."""
    isolation: str = ""
    """How the run was isolated: bwrap-root, bwrap-userns or rlimits-only."""
    uid: int | None = None
    """The uid the program ran as on this machine."""
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Files read back from the work directory (the ``collect=`` patterns), by relative path."""
    files_truncated: bool = False
    """Some matching files were left out: together they passed ``Limits.collect_bytes``."""

    @property
    def ok(self) -> bool:
        return self.reason is StopReason.OK

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else str(self.reason)


@dataclass(frozen=True)
class RawOutcome:
    """What the supervisor saw, before interpretation."""

    wait_status: int
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_seconds: float
    cpu_seconds: float
    stopped_by: str | None = None
    """What made the supervisor kill the run: "wall", "output" or "cancelled"."""
    started: bool = True
    """False when the namespaces were never created (bwrap failed before starting anything)."""


# Our own wrappers' complaints: the program itself never started.
_SETUP_FAILURE = re.compile(
    r"^(bwrap: |setpriv: |prlimit: failed to execute|prlimit: failed to set)", re.MULTILINE
)
_MEMORY = re.compile(
    r"(^(\w+\.)*_?\w*MemoryError\b|Cannot allocate memory|std::bad_alloc|Unable to allocate|"
    r"[Oo]ut of memory)",
    re.MULTILINE,
)
_LIMIT_HINTS = (
    (re.compile(r"Too many open files|\[Errno 24\]"), "open_files"),
    (re.compile(r"File too large|\[Errno 27\]"), "file_size"),
    (re.compile(r"Resource temporarily unavailable|\[Errno 11\]"), "processes"),
)
_SIGNALS_FROM_BWRAP = {int(s) for s in signal.Signals}


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(
    raw: RawOutcome, limits: Limits, *, through_bwrap: bool
) -> tuple[StopReason, int | None, int | None, str | None, str]:
    """(reason, exit code, signal, limit, detail) for a finished run."""
    stderr = raw.stderr.decode("utf-8", "replace")
    tail = stderr[-4096:]
    if raw.stopped_by == "wall":
        detail = f"wall-clock limit of {limits.wall_seconds:g} s reached; every process killed"
        return StopReason.TIMEOUT, None, signal.SIGKILL, "wall", detail
    if raw.stopped_by == "output":
        detail = f"wrote more than {limits.output_bytes} bytes to stdout or stderr; killed"
        return StopReason.OUTPUT_LIMIT, None, signal.SIGKILL, "output", detail
    if raw.stopped_by == "cancelled":
        return StopReason.KILLED, None, signal.SIGKILL, None, "cancelled by the caller; killed"
    if os.WIFSIGNALED(raw.wait_status):
        sig = os.WTERMSIG(raw.wait_status)
        if through_bwrap:  # bwrap itself died: someone outside killed the sandbox
            return StopReason.KILLED, None, sig, None, f"the sandbox got {signal_name(sig)}"
        return _by_signal(sig, raw, limits, tail)
    code = os.WEXITSTATUS(raw.wait_status)
    if not raw.started or (code != 0 and _SETUP_FAILURE.search(tail)):
        return StopReason.REFUSED, None, None, None, last_line(tail) or f"sandbox exit {code}"
    if through_bwrap and code > 128 and code - 128 in _SIGNALS_FROM_BWRAP:
        # bwrap's init reports a program killed by signal N as exit status 128 + N.
        return _by_signal(code - 128, raw, limits, tail)
    if code == 0:
        return StopReason.OK, 0, None, None, "exited with status 0"
    error = last_line(tail)
    if _MEMORY.search(error) or _MEMORY.search(tail[-512:]):
        return StopReason.MEMORY, code, None, "memory", error or "out of memory"
    hint = next((name for pattern, name in _LIMIT_HINTS if pattern.search(error)), None)
    return StopReason.ERROR, code, None, hint, error or f"exited with status {code}"


def _by_signal(
    sig: int, raw: RawOutcome, limits: Limits, tail: str
) -> tuple[StopReason, int | None, int | None, str | None, str]:
    name = signal_name(sig)
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and raw.cpu_seconds >= limits.cpu_rlimit):
        detail = f"CPU-time limit of {limits.cpu_rlimit} s reached ({name})"
        return StopReason.TIMEOUT, None, sig, "cpu", detail
    if sig == signal.SIGXFSZ:
        detail = f"file-size limit of {limits.file_bytes} bytes exceeded ({name})"
        return StopReason.KILLED, None, sig, "file_size", detail
    if sig in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS) and _MEMORY.search(tail[-1024:]):
        return StopReason.MEMORY, None, sig, "memory", f"out of memory ({name})"
    return StopReason.KILLED, None, sig, None, f"killed by {name}"
