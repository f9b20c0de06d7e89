"""CodeSandboxSampleEvaluator in the real sandbox: verdicts equal a direct run's on 50 pairs,
reasons are reported, and hostile code is contained. Skips where bubblewrap is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from code_pairs import FAILING, PAIRS, Pair
from helpers import Chain, read_jsonl, write_jsonl

from streamflow.operators.code.sandbox_evaluator import CodeSandboxSampleEvaluator, program_of
from streamflow.sandbox import Limits, Sandbox, SandboxResult, SandboxUnavailable
from streamflow.testing import apply

BWRAP_MISSING = shutil.which("bwrap") is None or shutil.which("tini") is None
pytestmark = pytest.mark.skipif(
    BWRAP_MISSING, reason="bubblewrap (bwrap) or tini is not installed: run bin/system-deps as root"
)
TIMEOUT = 3.0


SLACK = 30.0
"""The limit of the pairs not meant to time out: generous, so that a busy machine cannot turn a
passing program into a timeout (in the sandbox or in the direct run)."""


def limit_of(pair: Pair) -> float:
    return TIMEOUT if pair.fails_by == "timeout" else SLACK


def direct_run(pair: Pair, where: Path) -> str:
    """Our own pairs (trusted: we wrote them) run as a plain subprocess, for comparison."""
    path = where / f"{pair.name}.py"
    path.write_text(program_of(pair.code, pair.tests))
    try:
        done = subprocess.run(
            [sys.executable, path.name], cwd=where, capture_output=True, timeout=limit_of(pair)
        )
    except subprocess.TimeoutExpired:
        return "FAIL"
    return "PASS" if done.returncode == 0 else "FAIL"


@pytest.fixture(scope="module")
def verdicts() -> list[dict]:
    """Every pair's row after the evaluator, in PAIRS order (two runs: one per time limit)."""
    by_name: dict[str, dict] = {}
    for limit in (TIMEOUT, SLACK):
        op = CodeSandboxSampleEvaluator(timeout_length=limit)
        rows = [
            {"name": p.name, "code": p.code, "tests": p.tests}
            for p in PAIRS
            if limit_of(p) == limit
        ]
        out = apply(op, rows, input_key="code", input_test_key="tests", output_reason_key="why")
        assert not out.failed
        by_name.update((r["name"], r) for r in out.batch.rows)
    return [by_name[p.name] for p in PAIRS]


def test_verdicts_equal_a_direct_run(verdicts: list[dict], tmp_path: Path) -> None:
    assert [r["name"] for r in verdicts] == [p.name for p in PAIRS]
    direct = [direct_run(p, tmp_path) for p in PAIRS]
    assert [r["sandbox_status"] for r in verdicts] == direct
    assert direct.count("PASS") == 25


def test_each_failure_says_why(verdicts: list[dict]) -> None:
    by_name = {r["name"]: r for r in verdicts}
    expected_reason = {"wrong": "error", "exception": "error", "syntax": "error", "import": "error"}
    for pair in FAILING:
        row = by_name[pair.name]
        assert row["sandbox_status"] == "FAIL"
        assert row["why"] == expected_reason.get(pair.fails_by, "timeout"), pair.name
    assert "AssertionError" in by_name["add_wrong"]["sandbox_log"]
    assert "ZeroDivisionError" in by_name["zero_div"]["sandbox_log"]
    assert "SyntaxError" in by_name["missing_colon"]["sandbox_log"]
    assert (
        "ModuleNotFoundError: No module named 'numpyy'" in by_name["no_such_module"]["sandbox_log"]
    )
    assert "NameError: name 'math' is not defined" in by_name["forgot_import_math"]["sandbox_log"]
    assert by_name["sleeps"]["sandbox_log"].startswith("timeout: wall-clock limit of 3 s")
    assert by_name["prints"]["sandbox_log"] == "hello from the sandbox\n"


def test_hostile_code_is_contained(tmp_path: Path) -> None:
    marker = tmp_path / "escaped.txt"
    repo_file = Path(__file__).resolve().parents[3] / "escaped-from-sandbox.txt"
    hostile = {
        "fork_bomb": "import os\nwhile True:\n    os.fork()",
        "write_outside": (
            f"for p in [{str(marker)!r}, {str(repo_file)!r}, '/tmp/x']:\n"
            "    try:\n        open(p, 'w').write('x')\n"
            "    except OSError as e:\n        print(e)\n"
            f"open({str(marker)!r}, 'w')"
        ),
        "shadow": "print(open('/etc/shadow').read())",
        "huge_alloc": "b = bytearray(10 * 1024 ** 3)",
        "flood": "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)",
    }
    op = CodeSandboxSampleEvaluator(
        timeout_length=TIMEOUT,
        limits=Limits(
            wall_seconds=TIMEOUT,
            cpu_seconds=TIMEOUT,
            memory_bytes=512 << 20,
            processes=32,
            output_bytes=64 << 10,
        ),
    )
    rows = [{"name": k, "code": v} for k, v in hostile.items()]
    out = apply(op, rows, input_key="code", output_reason_key="why")
    why = {r["name"]: (r["sandbox_status"], r["why"]) for r in out.batch.rows}
    assert all(status == "FAIL" for status, _ in why.values()), why
    assert why["huge_alloc"][1] == "memory"
    assert why["flood"][1] == "output_limit"
    assert why["fork_bomb"][1] in ("error", "timeout", "killed")
    assert not marker.exists() and not repo_file.exists()


def test_empty_and_bad_rows() -> None:
    op = CodeSandboxSampleEvaluator(timeout_length=TIMEOUT)
    out = apply(op, [{"code": "  "}, {"code": None}], input_key="code")
    assert [r["sandbox_status"] for r in out.batch.rows] == ["FAIL", "FAIL"]
    assert out.batch.rows[0]["sandbox_log"] == "empty program: nothing to run"
    with pytest.raises(TypeError, match="field 'code' must be code text"):
        apply(op, [{"code": 3}], input_key="code")
    with pytest.raises(ValueError, match="Python only"):
        CodeSandboxSampleEvaluator(language="cpp")


def test_refuses_without_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    """No bubblewrap: the operator refuses at construction, naming what is missing."""
    monkeypatch.setattr(shutil, "which", lambda *_a, **_k: None)
    with pytest.raises(SandboxUnavailable, match="was not found: install"):
        CodeSandboxSampleEvaluator()


class CountedSandbox(Sandbox):
    """A real sandbox that notes, at the end of each run, how many other runs were under way
    or waiting for a place (asked for and not finished) and how many rows were not asked yet."""

    def __init__(self, rows: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows, self.made, self.finished = rows, 0, 0
        self.at_each_end: list[tuple[int, int]] = []  # (other runs asked for, rows not asked)

    async def run(self, code: str, **kwargs: Any) -> SandboxResult:
        self.made += 1
        try:
            return await super().run(code, **kwargs)
        finally:
            self.at_each_end.append((self.made - self.finished - 1, self.rows - self.made))
            self.finished += 1


WINDOW_LIMIT, WINDOW_BATCH = 2, 4


def one_slow_program_per_batch(rows: int, sandbox: Sandbox, **options: Any) -> Any:
    """``rows`` programs through the evaluator in batches of 4; the first of each batch sleeps
    0.6 s, the others return at once; row 5's code is not text (its row fails)."""

    def code(n: int) -> Any:
        if n == 5:
            return 42
        return "import time\ntime.sleep(0.6)\n" if n % WINDOW_BATCH == 0 else f"x = {n}\n"

    where = Path(options.pop("tmp_path"))
    src = write_jsonl(where / "in.jsonl", [{"n": n, "code": code(n)} for n in range(rows)])
    op = CodeSandboxSampleEvaluator(timeout_length=30, sandbox=sandbox)
    chain = Chain(
        [(op, {"input_key": "code"})],
        first_entry_file_name=str(src),
        output_file=str(where / "out.jsonl"),
    )
    result = chain.run(batch_size=WINDOW_BATCH, **options)
    return result, read_jsonl(where / "out.jsonl")


def test_the_sandbox_places_stay_busy_while_a_batch_waits_on_its_slow_program(
    tmp_path: Path,
) -> None:
    """Windowed on the sandbox's runs in flight (issue 20): while one batch's program sleeps,
    the rows of the next batches run, so a place freed while rows remain is taken at once;
    the output keeps input order and the broken row is a dead letter."""
    rows = 6 * WINDOW_BATCH
    sandbox = CountedSandbox(rows - 1, max_concurrent=WINDOW_LIMIT)  # row 5 runs nothing
    op = CodeSandboxSampleEvaluator(sandbox=sandbox)
    assert op.admission_limit == WINDOW_LIMIT
    result, out = one_slow_program_per_batch(rows, sandbox, tmp_path=tmp_path)
    assert [r["n"] for r in out] == [n for n in range(rows) if n != 5]
    assert {r["sandbox_status"] for r in out} == {"PASS"}
    letters = list(result.dead_letters.records())
    assert [(d.operator, (d.row or {})["n"]) for d in letters] == [
        ("CodeSandboxSampleEvaluator", 5)
    ]
    assert "must be code text" in letters[0].error
    idle = [(other, left) for other, left in sandbox.at_each_end if left and other < WINDOW_LIMIT]
    assert not idle, f"{len(idle)} places freed with nothing waiting while rows remained"
    assert sandbox.made == rows - 1


def test_a_chosen_worker_count_keeps_whole_batches_and_their_idle_places(tmp_path: Path) -> None:
    """The measure above sees idling where it happens: one worker works on one batch, whose
    fast programs end long before its slow one while the next batch waits."""
    rows = 3 * WINDOW_BATCH
    sandbox = CountedSandbox(rows, max_concurrent=WINDOW_LIMIT)
    op = CodeSandboxSampleEvaluator(sandbox=sandbox).options(workers=1)
    slow, fast = "import time\ntime.sleep(0.6)\n", "x = 1\n"
    programs = [{"code": slow if n % WINDOW_BATCH == 0 else fast} for n in range(rows)]
    src = write_jsonl(tmp_path / "in.jsonl", programs)
    Chain(
        [(op, {"input_key": "code"})],
        first_entry_file_name=str(src),
        output_file=str(tmp_path / "out.jsonl"),
    ).run(batch_size=WINDOW_BATCH)
    assert [(other, left) for other, left in sandbox.at_each_end if left and other < 1]


RESUMABLE = """
from streamflow import FileStorage, Pipeline
from streamflow.operators.code.sandbox_evaluator import CodeSandboxSampleEvaluator
from streamflow.sandbox import Sandbox


class Logged(Sandbox):
    async def run(self, code, **kwargs):
        with open("calls.txt", "a") as log:
            log.write(code.split()[2] + "\\n")
        return await super().run(code, **kwargs)


class Job(Pipeline):
    def __init__(self):
        self.storage = FileStorage("in.jsonl", output_file="out.jsonl")
        self.check = CodeSandboxSampleEvaluator(timeout_length=30, sandbox=Logged(max_concurrent=2))

    def forward(self):
        self.check.run(self.storage.step(), input_key="code")
"""


def resumable_row(n: int) -> dict[str, Any]:
    """Row 0 of each 10 sleeps 0.3 s; row 7 of each 50 has no code text (a dead letter)."""
    if n % 50 == 7:
        return {"n": n, "code": n}
    sleep = "import time; time.sleep(0.3)" if n % 10 == 0 else "pass"
    return {"n": n, "code": f"# row {n}\n{sleep}\n"}


def test_kill_and_resume_of_the_windowed_evaluator_is_exact(tmp_path: Path) -> None:
    """Killed twice and resumed: the same rows, verdicts and dead letters as an uninterrupted
    run, every program run, and the runs made again bounded by the rows under way."""
    import json

    from helpers import killed_twice_then_resumed, resumable_command, run_streamflow

    from streamflow.actors.actor import BoundOp, window_for
    from streamflow.channels.stats import OperatorStats

    n = 100
    whole, killed = killed_twice_then_resumed(
        tmp_path, RESUMABLE, n, resumable_command(8), resumable_row
    )
    out = read_jsonl(killed / "out.jsonl")
    assert out == read_jsonl(whole / "out.jsonl")
    assert [r["n"] for r in out] == [i for i in range(n) if i % 50 != 7]
    assert {r["sandbox_status"] for r in out} == {"PASS"}
    calls = (killed / "calls.txt").read_text().split()
    assert set(calls) == {str(i) for i in range(n) if i % 50 != 7}
    op = CodeSandboxSampleEvaluator(sandbox=Sandbox(max_concurrent=2))
    window = window_for([BoundOp(op, {}, OperatorStats("s", op.kind))], 8)
    assert window is not None
    assert len(calls) <= len(set(calls)) + 2 * window.chunks * window.chunk, len(calls)

    def dead_letters(cwd: Path) -> int:
        done = run_streamflow("status", "rd", "--json", cwd=cwd)
        assert done.returncode == 0, done.stderr
        return int(json.loads(done.stdout)["dead_letters"])

    assert dead_letters(killed) == dead_letters(whole) == 2
