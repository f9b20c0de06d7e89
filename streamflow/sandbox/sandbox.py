"""``Sandbox``: run untrusted Python, isolated, from async code.

Each run gets a fresh private work directory (the program's cwd, ``/tmp/work`` inside), the files
it is given, the limits of :class:`~streamflow.sandbox.limits.Limits`, and is supervised in a worker
thread (the event loop never blocks); at most ``max_concurrent`` runs of one sandbox are in flight.
When a run ends, however it ends, every process it started is dead and its work directory is gone.
Cancelling the awaiting task kills the run first, then the cancellation proceeds.

The isolation is chosen once, in the constructor (see :mod:`streamflow.sandbox.isolation`); in the
default ``mode="strict"`` a machine without bubblewrap gets :class:`SandboxUnavailable` saying what
to install, never a silently weaker sandbox. Whether the kernel grants the namespaces is checked
by a probe run before the first run (:meth:`Sandbox.check` runs it on demand).

Synchronous callers (an operator's ``process`` hook runs in a worker thread) use
``anyio.from_thread.run(sandbox.run, code)``.
"""

from __future__ import annotations

import functools
import keyword
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread

from streamflow.sandbox.errors import SandboxUnavailable
from streamflow.sandbox.isolation import (
    Isolation,
    Mode,
    acquire_uid,
    choose_isolation,
    command_for,
    refusal_hint,
    release_uid,
)
from streamflow.sandbox.limits import Limits
from streamflow.sandbox.process import Supervision, supervise
from streamflow.sandbox.result import SandboxResult, StopReason, classify
from streamflow.sandbox.workdir import collect_files, create_workdir, relative_name, remove_workdir

__all__ = ["Sandbox"]

Files = Mapping[str, bytes | str]
MAIN = "main.py"
"""The file ``Sandbox.run`` writes the code to, in the work directory."""

_probes: dict[tuple[Any, ...], str | None] = {}
_probes_lock = threading.Lock()


class Sandbox:
    """Runs Python programs isolated (see the module docstring); reusable and safe to share."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        max_concurrent: int | None = None,
        mode: Mode | str = Mode.STRICT,
        python: str | None = None,
        bwrap: str | None = None,
        pythonpath: Sequence[str] = (),
        readable: Sequence[str] = (),
        workdir_root: str | None = None,
    ) -> None:
        """
        Args:
            limits: the default limits of a run (each call may override them).
            max_concurrent: runs in flight at once (default: the number of cores).
            mode: ``"strict"`` (bubblewrap, or refuse) or ``"rlimits-only"`` (UNSAFE: limits and
                a private work directory, no namespaces; only for code you would run anyway).
            python: the interpreter (default: this one, with its virtualenv, read-only).
            bwrap: the bubblewrap program (default: ``bwrap`` on PATH).
            pythonpath: host directories put on the program's PYTHONPATH (visible read-only).
            readable: host paths to keep visible read-only even under a masked directory
                (/root, /home, /run, $HOME).
            workdir_root: where work directories are created (default: the system temp dir).
        """
        self.limits = limits or Limits()
        self.mode = Mode(mode)
        self.max_concurrent = max_concurrent or os.cpu_count() or 1
        if self.max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, not {max_concurrent}")
        self.python = os.path.abspath(python or sys.executable)
        self.pythonpath = tuple(os.path.abspath(p) for p in pythonpath)
        self.readable = tuple(os.path.abspath(p) for p in readable)
        self.workdir_root = workdir_root
        self.isolation, self._tools = choose_isolation(self.mode, bwrap)
        self._own_uid = self.isolation is Isolation.BWRAP_ROOT or (
            self.isolation is Isolation.RLIMITS_ONLY and os.geteuid() == 0
        )
        self._make_limiters()

    def _make_limiters(self) -> None:
        self._limiter = anyio.CapacityLimiter(self.max_concurrent)
        self._thread_limiter = anyio.CapacityLimiter(self.max_concurrent)

    def __getstate__(self) -> dict[str, Any]:  # operators holding a sandbox may be pickled
        state = self.__dict__.copy()
        del state["_limiter"], state["_thread_limiter"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._make_limiters()

    def __repr__(self) -> str:
        return f"Sandbox(isolation={self.isolation!s}, max_concurrent={self.max_concurrent})"

    # -- the API ---------------------------------------------------------------------------

    async def run(
        self,
        code: str,
        *,
        stdin: bytes | str | None = None,
        files: Files | None = None,
        argv: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        limits: Limits | None = None,
        collect: Sequence[str] = (),
    ) -> SandboxResult:
        """Run ``code`` as a Python program (written to ``main.py`` in the work directory).

        Args:
            stdin: what the program reads on stdin (nothing when None).
            files: more files for the work directory, by relative path.
            argv: the program's ``sys.argv[1:]``.
            env: environment variables over the sandbox's clean defaults.
            timeout: wall-clock limit in seconds (overrides ``limits.wall_seconds``).
            limits: this run's limits instead of the sandbox's.
            collect: patterns (fnmatch, relative to the work directory) of files to read back
                into ``SandboxResult.files``.
        """
        files = self._files(files, MAIN)
        files[MAIN] = code
        return await self._execute(
            [MAIN, *argv], files, stdin, env, timeout=timeout, limits=limits, collect=collect
        )

    async def run_file(
        self,
        path: str | os.PathLike[str],
        *,
        stdin: bytes | str | None = None,
        files: Files | None = None,
        argv: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        limits: Limits | None = None,
        collect: Sequence[str] = (),
    ) -> SandboxResult:
        """Run the host file ``path``, copied into the work directory under its own name (so
        the files beside it in ``files`` are importable); the other arguments as in ``run``."""
        name = os.path.basename(os.fspath(path))
        content = await anyio.to_thread.run_sync(_read_bytes, os.fspath(path))
        files = self._files(files, name)
        files[name] = content
        return await self._execute(
            [name, *argv], files, stdin, env, timeout=timeout, limits=limits, collect=collect
        )

    async def run_module(
        self,
        module: str,
        *,
        stdin: bytes | str | None = None,
        files: Files | None = None,
        argv: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        limits: Limits | None = None,
        collect: Sequence[str] = (),
    ) -> SandboxResult:
        """``python -m module argv...``: an installed module, or one given in ``files`` (the
        work directory is on ``sys.path``); the other arguments as in ``run``."""
        parts = module.split(".")
        if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
            raise ValueError(f"{module!r} is not a module name")
        return await self._execute(
            ["-m", module, *argv],
            self._files(files),
            stdin,
            env,
            timeout=timeout,
            limits=limits,
            collect=collect,
        )

    async def check(self) -> None:
        """Raise SandboxUnavailable unless a trivial program runs (done once per configuration
        and process; every run does it first)."""
        key = (
            self.isolation,
            self._tools,
            self.python,
            self.readable,
            self.pythonpath,
            self.workdir_root,
        )
        with _probes_lock:
            known = key in _probes
            problem = _probes.get(key)
        if not known:
            problem = await anyio.to_thread.run_sync(self._probe, key)
        if problem:
            raise SandboxUnavailable(problem)

    # -- the work ----------------------------------------------------------------------------

    @staticmethod
    def _files(files: Files | None, reserved: str | None = None) -> dict[str, bytes | str]:
        clean: dict[str, bytes | str] = {}
        for name, content in (files or {}).items():
            if not isinstance(content, str | bytes | bytearray | memoryview):
                raise TypeError(f"sandbox file {name!r}: content must be str or bytes")
            clean[relative_name(name)] = content
        if reserved is not None and reserved in clean:
            raise ValueError(f"files= names {reserved!r}, which holds the program itself")
        return clean

    async def _execute(
        self,
        python_args: list[str],
        files: dict[str, bytes | str],
        stdin: bytes | str | None,
        env: Mapping[str, str] | None,
        *,
        timeout: float | None,
        limits: Limits | None,
        collect: Sequence[str],
    ) -> SandboxResult:
        limits = limits or self.limits
        if timeout is not None:
            limits = limits.replace(wall_seconds=timeout)
        stdin_bytes = stdin.encode() if isinstance(stdin, str) else stdin
        program_env = dict(env or {})
        for key, value in program_env.items():
            if not isinstance(key, str) or not isinstance(value, str) or "=" in key or not key:
                raise ValueError(f"sandbox env: {key!r}={value!r} is not a variable assignment")
        if self.pythonpath:
            program_env.setdefault("PYTHONPATH", ":".join(self.pythonpath))
        await self.check()
        run = functools.partial(
            self._run_blocking,
            python_args,
            files,
            stdin_bytes,
            program_env,
            limits,
            tuple(collect),
        )
        async with self._limiter:
            return await self._in_thread(run)

    async def _in_thread(self, run: Callable[[int | None], SandboxResult]) -> SandboxResult:
        """``run(cancel_fd)`` in a worker thread; cancelling the caller makes the fd readable, so
        the supervisor kills the run, and the cancellation completes once everything is dead."""
        cancel_read, cancel_write = os.pipe()
        result: SandboxResult | None = None
        error: Exception | None = None
        try:
            async with anyio.create_task_group() as tg:

                async def relay_cancellation() -> None:
                    try:
                        await anyio.sleep_forever()
                    finally:
                        os.write(cancel_write, b"x")

                tg.start_soon(relay_cancellation)
                try:
                    result = await anyio.to_thread.run_sync(
                        run, cancel_read, limiter=self._thread_limiter
                    )
                except Exception as exc:  # raised below, not wrapped in an exception group
                    error = exc
                tg.cancel_scope.cancel()
        finally:
            os.close(cancel_read)
            os.close(cancel_write)
        # The thread's end is not a checkpoint: a caller cancelled meanwhile gets its cancellation
        # now, not the "killed" result.
        await anyio.lowlevel.checkpoint_if_cancelled()
        if error is not None:
            raise error
        assert result is not None
        return result

    def _probe(self, key: tuple[Any, ...]) -> str | None:
        with _probes_lock:  # one probe at a time; the others wait and reuse its answer
            if key in _probes:
                return _probes[key]
            probe_limits = Limits(wall_seconds=60, cpu_seconds=30)
            try:
                result = self._run_blocking(["-c", "pass"], {}, None, {}, probe_limits, (), None)
            except OSError as exc:
                problem: str | None = f"the sandbox could not start: {exc}"
            else:
                problem = None
                if not result.ok:
                    said = result.stderr.strip() or result.detail
                    problem = (
                        f"the {self.isolation} sandbox could not run {self.python} ({result}): "
                        f"{said}\n{refusal_hint(self.isolation, result.stderr)}"
                    )
            _probes[key] = problem
            return problem

    def _run_blocking(
        self,
        python_args: list[str],
        files: dict[str, bytes | str],
        stdin: bytes | None,
        env: dict[str, str],
        limits: Limits,
        collect: tuple[str, ...],
        cancel_fd: int | None,
    ) -> SandboxResult:
        uid = acquire_uid() if self._own_uid else None
        workdir = None
        try:
            workdir = create_workdir(self.workdir_root, files, owner=uid)
            command = command_for(
                self.isolation,
                self._tools,
                python=self.python,
                python_args=python_args,
                workdir=workdir,
                limits=limits,
                uid=uid,
                env=env,
                readable=(*self.readable, *self.pythonpath),
            )
            through_bwrap = self.isolation is not Isolation.RLIMITS_ONLY
            raw = supervise(
                Supervision(
                    argv=command.argv,
                    env=command.env,
                    cwd=command.cwd,
                    stdin=stdin,
                    wall_seconds=limits.wall_seconds,
                    output_bytes=limits.output_bytes,
                    bwrap_status=through_bwrap,
                    kill_uid=uid if not through_bwrap else None,
                    kill_uid_argv=command.kill_uid_argv,
                    cancel_fd=cancel_fd,
                )
            )
            reason, code, sig, limit, detail = classify(raw, limits, through_bwrap=through_bwrap)
            files_back: dict[str, bytes] = {}
            complete = True
            if collect and reason is not StopReason.REFUSED:
                files_back, complete = collect_files(workdir, collect, limits.collect_bytes)
        finally:
            if workdir is not None:
                remove_workdir(workdir)
            release_uid(uid)
        return SandboxResult(
            reason=reason,
            exit_code=code,
            signal=sig,
            stdout=raw.stdout.decode("utf-8", "replace"),
            stderr=raw.stderr.decode("utf-8", "replace"),
            stdout_truncated=raw.stdout_truncated,
            stderr_truncated=raw.stderr_truncated,
            wall_seconds=raw.wall_seconds,
            cpu_seconds=raw.cpu_seconds,
            limit=limit,
            detail=detail,
            isolation=str(self.isolation),
            uid=uid if uid is not None else os.getuid(),
            files=files_back,
            files_truncated=not complete,
        )


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
