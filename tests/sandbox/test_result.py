"""How a finished run is explained: each reason from what the supervisor saw."""

from __future__ import annotations

import os
import signal

from streamflow.sandbox import Limits, StopReason
from streamflow.sandbox.result import RawOutcome, classify

LIMITS = Limits(cpu_seconds=2, wall_seconds=5, output_bytes=100)


def raw(status: int = 0, stderr: bytes = b"", **kw: object) -> RawOutcome:
    fields: dict[object, object] = dict(
        wait_status=status,
        stdout=b"",
        stderr=stderr,
        stdout_truncated=False,
        stderr_truncated=False,
        wall_seconds=0.1,
        cpu_seconds=0.05,
    )
    fields.update(kw)
    return RawOutcome(**fields)  # type: ignore[arg-type]


def exited(code: int) -> int:
    return code << 8


def test_exit_zero_is_ok() -> None:
    assert classify(raw(exited(0)), LIMITS, through_bwrap=True)[0] is StopReason.OK


def test_non_zero_exit_is_an_error_with_the_last_line() -> None:
    err = b"Traceback (most recent call last):\n  ...\nValueError: bad\n"
    reason, code, sig, limit, detail = classify(raw(exited(1), err), LIMITS, through_bwrap=True)
    assert (reason, code, sig, limit, detail) == (
        StopReason.ERROR,
        1,
        None,
        None,
        "ValueError: bad",
    )


def test_memory_error_is_memory() -> None:
    reason, *_, limit, _ = classify(
        raw(exited(1), b"Traceback\nMemoryError\n"), LIMITS, through_bwrap=True
    )
    assert (reason, limit) == (StopReason.MEMORY, "memory")
    numpy = b"numpy.core._exceptions._ArrayMemoryError: Unable to allocate 8.00 GiB\n"
    assert classify(raw(exited(1), numpy), LIMITS, through_bwrap=True)[0] is StopReason.MEMORY


def test_limit_hints_from_the_error_line() -> None:
    cases = {
        b"OSError: [Errno 24] Too many open files: '/dev/null'\n": "open_files",
        b"OSError: [Errno 27] File too large\n": "file_size",
        b"BlockingIOError: [Errno 11] Resource temporarily unavailable\n": "processes",
    }
    for stderr, limit in cases.items():
        reason, *_, found, _ = classify(raw(exited(1), stderr), LIMITS, through_bwrap=True)
        assert (reason, found) == (StopReason.ERROR, limit)


def test_bwrap_reports_signals_as_128_plus_n() -> None:
    reason, code, sig, limit, _ = classify(
        raw(exited(128 + signal.SIGXCPU)), LIMITS, through_bwrap=True
    )
    assert (reason, code, sig, limit) == (StopReason.TIMEOUT, None, signal.SIGXCPU, "cpu")
    reason, _, sig, _, detail = classify(
        raw(exited(128 + signal.SIGTERM)), LIMITS, through_bwrap=True
    )
    assert (reason, sig) == (StopReason.KILLED, signal.SIGTERM) and "SIGTERM" in detail
    # Without bwrap an exit status of 143 is just an exit status.
    assert classify(raw(exited(143)), LIMITS, through_bwrap=False)[0] is StopReason.ERROR


def test_sigkill_after_the_cpu_limit_is_a_cpu_timeout() -> None:
    killed = raw(signal.SIGKILL, cpu_seconds=3.0)
    assert os.WIFSIGNALED(killed.wait_status)
    reason, *_, limit, _ = classify(killed, LIMITS, through_bwrap=False)
    assert (reason, limit) == (StopReason.TIMEOUT, "cpu")
    early = raw(signal.SIGKILL, cpu_seconds=0.5)
    assert classify(early, LIMITS, through_bwrap=False)[0] is StopReason.KILLED


def test_supervisor_stops_take_precedence() -> None:
    for stopped_by, reason, limit in (
        ("wall", StopReason.TIMEOUT, "wall"),
        ("output", StopReason.OUTPUT_LIMIT, "output"),
        ("cancelled", StopReason.KILLED, None),
    ):
        got = classify(raw(exited(137), stopped_by=stopped_by), LIMITS, through_bwrap=True)
        assert (got[0], got[3]) == (reason, limit)


def test_setup_failure_is_a_refusal() -> None:
    never = raw(
        exited(1), b"bwrap: Creating new namespace failed: Operation not permitted\n", started=False
    )
    reason, *_, detail = classify(never, LIMITS, through_bwrap=True)
    assert reason is StopReason.REFUSED and "namespace" in detail
    denied = raw(exited(126), b"prlimit: failed to execute /x/python: Permission denied\n")
    assert classify(denied, LIMITS, through_bwrap=True)[0] is StopReason.REFUSED
