"""CodeSandboxSampleEvaluator in the real sandbox: verdicts equal a direct run's on 50 pairs,
reasons are reported, and hostile code is contained. Skips where bubblewrap is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from code_pairs import FAILING, PAIRS, Pair

from streamflow.operators.code.sandbox_evaluator import CodeSandboxSampleEvaluator, program_of
from streamflow.sandbox import Limits, SandboxUnavailable
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
