"""Answer equivalence with a hard time limit per item: math-verify in worker processes.

math-verify parses LaTeX into sympy and compares symbolically, which is what makes ``0.5``,
``\\frac{1}{2}`` and ``\\dfrac12`` one answer. On a pathological expression (a 50,000-term sum,
fractions nested hundreds deep, ``10^{10^{10}}``) parsing or simplifying takes seconds, hours or
all memory; its own timeout uses ``signal.alarm``, which works only in the main thread, and a
stuck sympy call cannot be interrupted from inside the process at all.

So :class:`AnswerVerifier` keeps a few worker processes (``_verify_worker.py``, started with the
same Python), sends each one a pair at a time, and waits for the answer until the item's
deadline. A worker that overruns is killed (a fresh one starts on the next item) and the item
gets ``Verdict(None, "math-verify timed out after 5s")``; a worker that dies (a crash, the
memory cap) gives ``"math-verify process died ..."``. Either way the caller carries on: a bad
expression costs one deadline, never the run.

Most pairs never reach a worker: answers equal once normalised, or both plain numbers, are
settled here at once (see :meth:`AnswerVerifier.check_many`). The blocking calls are meant for
worker threads (operator hooks run there); :meth:`AnswerVerifier.acheck_many` runs them off the
event loop.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from streamflow.errors import StreamflowError
from streamflow.operators.reasoning.answers import normalize_answer, numbers_match, numeric_value

__all__ = ["AnswerVerifier", "Verdict", "VerifierStartError", "shared_verifier"]

WORKER_SCRIPT = Path(__file__).with_name("_verify_worker.py")
DEFAULT_TIMEOUT_S = 5.0
"""Per item, as math-verify's own default (5 s for parsing, 5 s for comparing)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an answer equals the reference: ``True``/``False``, or ``None`` where it could
    not be decided (time limit, crashed worker, an error in math-verify); ``reason`` says how
    the verdict was reached or why there is none."""

    equal: bool | None
    reason: str

    @property
    def decided(self) -> bool:
        return self.equal is not None


class VerifierStartError(StreamflowError):
    """math-verify is missing or its worker process did not start."""


class _WorkerDied(Exception):
    pass


class _Worker:
    """One worker process and the bytes it has written that are not yet a whole line."""

    def __init__(self, start_timeout: float, max_memory_mb: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), str(max_memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.fd = self.proc.stdout.fileno()
        self._pending = b""
        hello = self._wait_line(start_timeout)
        if hello is None or not hello.get("ready"):
            self.kill()
            why = hello.get("error") if hello else f"no answer in {start_timeout:g}s"
            raise VerifierStartError(
                f"math-verify worker did not start: {why}; pip install 'streamflow-data[math]'"
            )

    def send(self, task: dict[str, Any]) -> None:
        try:
            self.stdin.write(json.dumps(task).encode() + b"\n")
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerDied(str(exc)) from None

    def read(self) -> list[dict[str, Any]]:
        """The whole lines that have arrived (call when the pipe is readable)."""
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            raise _WorkerDied(f"exit status {self.proc.poll()}")
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def _wait_line(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.fd, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not sel.select(left):
                    continue
                try:
                    lines = self.read()
                except _WorkerDied:
                    return None
                if lines:
                    return lines[0]
        return None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.stdin.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class AnswerVerifier:
    """Decides whether answers equal their references; each item gets at most ``timeout`` s.

    ``processes`` workers (default: up to 4, one per core) run math-verify; each is capped at
    ``max_memory_mb`` of address space (0: no cap). Thread-safe: several operator workers may
    share one verifier (see :func:`shared_verifier`). ``shortcut=False`` sends every pair to
    math-verify, even those equal as strings or numbers (for measuring math-verify itself).
    """

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT_S,
        processes: int | None = None,
        *,
        max_memory_mb: int = 2048,
        start_timeout: float = 120.0,
        shortcut: bool = True,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if importlib.util.find_spec("math_verify") is None:
            raise VerifierStartError(
                "answer checking needs math-verify: pip install 'streamflow-data[math]'"
            )
        self.timeout = timeout
        self.processes = processes or max(1, min(4, os.cpu_count() or 1))
        self.max_memory_mb = max_memory_mb
        self.start_timeout = start_timeout
        self.shortcut = shortcut
        self.killed = 0
        """Workers killed so far for overrunning their deadline (or found dead)."""
        self._idle: list[_Worker] = []
        self._started = 0
        self._cond = threading.Condition()
        self._closed = False
        atexit.register(self.close)

    # -- checking ----------------------------------------------------------------------------

    def check(self, reference: object, answer: object) -> Verdict:
        """One pair; see :meth:`check_many`."""
        return self.check_many([(reference, answer)])[0]

    def check_many(self, pairs: Sequence[tuple[object, object]]) -> list[Verdict]:
        """A verdict per ``(reference, answer)`` pair, in order. Blocking: call it off the loop.

        Both sides are normalised (:func:`~.answers.normalize_answer`) first. An empty answer
        is ``False`` ("no answer"); equal normalised strings are ``True``; two plain numbers
        are compared here (relative tolerance 1e-4, percent forms allowed). Everything else
        goes to math-verify, the written forms first and the normalised ones second, within one
        deadline.
        """
        verdicts: list[Verdict | None] = [None] * len(pairs)
        tasks: deque[tuple[int, list[list[str]]]] = deque()
        for i, (reference, answer) in enumerate(pairs):
            settled, task = self._settle(reference, answer)
            if settled is not None:
                verdicts[i] = settled
            else:
                tasks.append((i, task))
        if tasks:
            for i, verdict in self._run(tasks):
                verdicts[i] = verdict
        return [v if v is not None else Verdict(None, "not checked") for v in verdicts]

    async def acheck_many(self, pairs: Sequence[tuple[object, object]]) -> list[Verdict]:
        """:meth:`check_many` in a worker thread, for async callers."""
        return await anyio.to_thread.run_sync(self.check_many, list(pairs))

    def _settle(self, reference: object, answer: object) -> tuple[Verdict | None, list[list[str]]]:
        ref, ans = str(reference or "").strip(), str(answer or "").strip()
        norm_ref, norm_ans = normalize_answer(ref), normalize_answer(ans)
        if not norm_ref:
            return Verdict(None, "empty reference answer"), []
        if not norm_ans:
            return Verdict(False, "no answer"), []
        if self.shortcut:
            if norm_ref == norm_ans:
                return Verdict(True, "equal after normalisation"), []
            ref_value, ans_value = numeric_value(norm_ref), numeric_value(norm_ans)
            if ref_value is not None and ans_value is not None:
                equal = numbers_match(ans_value, ref_value)
                return Verdict(equal, "numbers equal" if equal else "numbers differ"), []
        pairs = [[_as_math(ref), _as_math(ans)]]
        if (norm_ref, norm_ans) != (ref, ans):
            pairs.append([_as_math(norm_ref), _as_math(norm_ans)])
        return None, pairs

    def _run(self, tasks: deque[tuple[int, list[list[str]]]]) -> Iterable[tuple[int, Verdict]]:
        """Feed the tasks to idle workers, collect answers, kill workers past their deadline."""
        active: dict[_Worker, tuple[int, float]] = {}
        with selectors.DefaultSelector() as sel:
            try:
                yield from self._loop(tasks, active, sel)
            finally:
                for worker in active:  # interrupted: their state is unknown
                    self._discard(worker)

    def _loop(
        self,
        tasks: deque[tuple[int, list[list[str]]]],
        active: dict[_Worker, tuple[int, float]],
        sel: selectors.BaseSelector,
    ) -> Iterable[tuple[int, Verdict]]:
        while tasks or active:
            while tasks:
                worker = self._acquire(block=not active)
                if worker is None:
                    break
                index, pairs = tasks.popleft()
                try:
                    worker.send({"id": index, "pairs": pairs})
                except _WorkerDied as exc:
                    self._discard(worker)
                    yield index, Verdict(None, f"math-verify process died ({exc})")
                    continue
                active[worker] = (index, time.monotonic() + self.timeout)
                sel.register(worker.fd, selectors.EVENT_READ, worker)
            if not active:
                continue
            soonest = min(deadline for _, deadline in active.values())
            for key, _ in sel.select(max(0.0, soonest - time.monotonic())):
                worker = key.data
                index, _ = active[worker]
                try:
                    replies = worker.read()
                except _WorkerDied as exc:
                    sel.unregister(worker.fd)
                    del active[worker]
                    self._discard(worker)
                    yield index, Verdict(None, f"math-verify process died ({exc})")
                    continue
                if not replies:
                    continue
                sel.unregister(worker.fd)
                del active[worker]
                self._release(worker)
                yield index, _verdict(replies[-1])
            now = time.monotonic()
            for worker, (index, deadline) in list(active.items()):
                if now >= deadline:
                    sel.unregister(worker.fd)
                    del active[worker]
                    self._discard(worker)
                    yield index, Verdict(None, f"math-verify timed out after {self.timeout:g}s")

    # -- the workers -------------------------------------------------------------------------

    def _acquire(self, *, block: bool) -> _Worker | None:
        """An idle worker, a new one if fewer than ``processes`` exist, else wait (or None)."""
        with self._cond:
            while True:
                if self._closed:
                    raise StreamflowError("AnswerVerifier is closed")
                if self._idle:
                    return self._idle.pop()
                if self._started < self.processes:
                    self._started += 1
                    break
                if not block:
                    return None
                self._cond.wait()
        try:
            return _Worker(self.start_timeout, self.max_memory_mb)
        except BaseException:
            with self._cond:
                self._started -= 1
                self._cond.notify()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                return
            self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self.killed += 1
            self._started -= 1
            self._cond.notify()

    @property
    def workers(self) -> int:
        """Worker processes alive now (idle or busy)."""
        return self._started

    def idle_pids(self) -> set[int]:
        """Process ids of the idle workers (every worker, between calls)."""
        with self._cond:
            return {w.proc.pid for w in self._idle}

    def close(self) -> None:
        """Stop the idle workers; busy ones stop when their item is done. Safe to call twice."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.kill()
        with self._cond:
            self._started -= len(idle)

    def __enter__(self) -> AnswerVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: dict[tuple[float, int | None], AnswerVerifier] = {}
_shared_lock = threading.Lock()


def shared_verifier(
    timeout: float = DEFAULT_TIMEOUT_S, processes: int | None = None
) -> AnswerVerifier:
    """One verifier per (timeout, processes) for the whole process, so that every operator
    checking answers shares the same few workers; closed at exit."""
    with _shared_lock:
        verifier = _shared.get((timeout, processes))
        if verifier is None or verifier._closed:
            verifier = _shared[(timeout, processes)] = AnswerVerifier(timeout, processes)
        return verifier


def _as_math(text: str) -> str:
    """Give math-verify a LaTeX span to find: plain text inside ``$...$``."""
    if "$" in text or "\\(" in text or "\\[" in text:
        return text
    return f"${text}$"


def _verdict(reply: dict[str, Any]) -> Verdict:
    if "error" in reply:
        return Verdict(None, f"math-verify failed: {reply['error']}")
    equal = bool(reply.get("equal"))
    return Verdict(equal, "equivalent (math-verify)" if equal else "not equivalent (math-verify)")
