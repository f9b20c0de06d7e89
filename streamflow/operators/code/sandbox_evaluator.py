"""CodeSandboxSampleEvaluator: run each row's code (with its tests) and record PASS or FAIL.

The code is model-written, so it runs only in :class:`streamflow.sandbox.Sandbox`: bubblewrap
namespaces without network, a private work directory, CPU, memory, process, file and output
limits, every process killed when it ends. Never in the streamflow process, and never on the
event loop (the sandbox's API is async and supervises each run from a worker thread). Where the
isolation cannot be had, constructing the operator raises
:class:`~streamflow.sandbox.SandboxUnavailable` naming what to install (unless you pass a
``Sandbox(mode="rlimits-only")`` of your own: unsafe, for code you would run anyway).

Verdict: ``PASS`` when the program exits with status 0 within the limits, ``FAIL`` otherwise.
The log holds, on PASS, what the program printed; on FAIL, why it stopped (``error``,
``timeout``, ``memory``, ``output_limit``, ``killed``), the sandbox's one-line account and the
end of stderr (the traceback). ``output_reason_key``, when bound, gets that stop reason alone.

The step keeps the sandbox's ``max_concurrent`` runs going across batch boundaries (its
:attr:`admission_limit`; see :mod:`streamflow.actors.actor`): while one batch's program runs to
its time limit, the rows of the next batches already run or wait for a place.

Differences from DataFlow: DataFlow runs the code in a worker process of its own, with a time
limit but no isolation; ``use_process_isolation`` is accepted and ignored (the code is always
isolated). ``input_test_key`` (streamflow's addition) names a field of test code (asserts) run
after the code in the same program, so PASS means "the tests pass", not only "it runs". An empty
program is a FAIL without a run (DataFlow's executor passes it).
"""

from __future__ import annotations

from typing import Any, ClassVar

import anyio

from streamflow.actors.base import SampleEvaluator
from streamflow.rows import Failure, Row
from streamflow.sandbox import Limits, Sandbox, SandboxResult

__all__ = ["CodeSandboxSampleEvaluator", "program_of", "verdict_of"]

STDERR_TAIL = 2000
LOG_LIMIT = 8000


def program_of(code: str, tests: str | None) -> str:
    """The program a row runs: its code, then its tests."""
    return code if not tests else f"{code.rstrip()}\n\n\n{tests}\n"


def verdict_of(result: SandboxResult) -> tuple[str, str]:
    """``(status, log)`` of a run."""
    if result.ok:
        return "PASS", result.stdout[-LOG_LIMIT:]
    log = f"{result.reason}: {result.detail}"
    stderr = result.stderr.strip()
    if stderr:
        log += "\n" + stderr[-STDERR_TAIL:]
    return "FAIL", log


class CodeSandboxSampleEvaluator(SampleEvaluator):
    """Runs the code in ``input_key`` (and the tests in ``input_test_key``, when bound) in the
    sandbox; writes ``PASS``/``FAIL`` to ``output_status_key`` and the log to
    ``output_log_key`` (see the module).

    ``timeout_length`` is the wall-clock limit of one run in seconds (CPU time is limited to
    the same); ``limits`` overrides every limit; ``sandbox`` replaces the default one (strict
    isolation, at most one run per core at a time).
    """

    expensive: ClassVar[bool] = True

    def __init__(
        self,
        language: str = "python",
        timeout_length: float = 15,
        use_process_isolation: bool = True,
        *,
        limits: Limits | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        if language.lower() != "python":
            raise ValueError(
                f"CodeSandboxSampleEvaluator runs Python only (as DataFlow's); got {language!r}"
            )
        if timeout_length <= 0:
            raise ValueError("CodeSandboxSampleEvaluator: timeout_length must be positive")
        self.language = language
        self.timeout_length = timeout_length
        self.use_process_isolation = use_process_isolation
        self.limits = limits or Limits(wall_seconds=timeout_length, cpu_seconds=timeout_length)
        self.sandbox = sandbox if sandbox is not None else Sandbox(self.limits)

    @property
    def admission_limit(self) -> int:
        """The sandbox's runs in flight at once: the stage keeps that many programs running
        across batch boundaries (one that runs to its time limit holds back only its chunk)."""
        return self.sandbox.max_concurrent

    async def process(
        self,
        rows: list[Row],
        input_key: str,
        input_test_key: str | None = None,
        output_status_key: str = "sandbox_status",
        output_log_key: str = "sandbox_log",
        output_reason_key: str | None = None,
    ) -> list[Row | Failure]:
        programs = [self._program(row, input_key, input_test_key) for row in rows]
        results: list[Any] = [None] * len(rows)

        async def run(i: int, program: str) -> None:
            results[i] = await self.sandbox.run(program, limits=self.limits)

        async with anyio.create_task_group() as tg:
            for i, program in enumerate(programs):
                if program.strip():
                    tg.start_soon(run, i, program)
        out: list[Row | Failure] = []
        for row, result in zip(rows, results, strict=True):
            if result is None:
                status, log, reason = "FAIL", "empty program: nothing to run", "empty"
            elif result.reason == "refused":  # the sandbox broke, not the code
                out.append(Failure(f"the sandbox refused to run: {result.detail}", transient=True))
                continue
            else:
                (status, log), reason = verdict_of(result), str(result.reason)
            new = {**row, output_status_key: status, output_log_key: log}
            if output_reason_key is not None:
                new[output_reason_key] = reason
            out.append(new)
        return out

    def _program(self, row: Row, code_key: str, test_key: str | None) -> str:
        code = self._text(row, code_key)
        tests = self._text(row, test_key) if test_key is not None else None
        return program_of(code, tests) if code.strip() else ""

    def _text(self, row: Row, key: str) -> str:
        try:
            value = row[key]
        except KeyError:
            raise KeyError(f"CodeSandboxSampleEvaluator: row has no field {key!r}") from None
        if value is None:
            return ""
        if not isinstance(value, str):
            raise TypeError(
                f"CodeSandboxSampleEvaluator: field {key!r} must be code text, "
                f"got {type(value).__name__}"
            )
        return value
