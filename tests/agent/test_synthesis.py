"""Operator synthesis: static checks of the model's class, and its trial, only in the sandbox."""

from __future__ import annotations

import shutil

import pytest

from streamflow.agent.synthesis import (
    SYNTHESISED,
    CodeRejected,
    check_operator_code,
    operator_trial,
    run_operator_source,
    unit_problems,
)

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="no bubblewrap")

DIGITS = '''
import re
from streamflow import Generator


class DigitCounter(Generator):
    """Counts the digits of a text field."""

    def __init__(self, minimum=0):
        self.minimum = minimum

    def process(self, rows, input_key="text", output_key="digit_count"):
        for row in rows:
            row[output_key] = len(re.findall(r"[0-9]", row[input_key]))
        return rows
'''
SAMPLE = [{"text": "call 555 0199"}, {"text": "no digits"}, {"text": "2026-12-04"}]


def test_a_good_class_gets_a_card_like_any_operator():
    synthesised = check_operator_code(DIGITS)
    card = synthesised.card
    assert (synthesised.name, synthesised.kind, card.module) == (
        "DigitCounter",
        "generator",
        SYNTHESISED,
    )
    assert [(k.name, k.default) for k in card.keys] == [
        ("input_key", "text"),
        ("output_key", "digit_count"),
    ]
    assert [(p.name, p.default) for p in card.parameters] == [("minimum", "0")]
    assert card.summary == "Counts the digits of a text field."
    assert synthesised.imports == ("import re",)
    assert "from streamflow import Failure, Generator" in synthesised.module_source()


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("class A(Refiner):\n    def process(self, rows\n", "syntax error on line"),
        (DIGITS.replace("(Generator)", "(dict)"), "must derive from exactly one of"),
        (DIGITS.replace("import re", "import os"), "import os is not allowed"),
        (DIGITS.replace("import re", "import re, subprocess"), "import subprocess"),
        (DIGITS.replace("import re", "from os import system"), "import from os"),
        (DIGITS.replace("return rows", "open('/etc/passwd')\n        return rows"), "open"),
        (DIGITS.replace("return rows", "return rows.__class__"), "__class__"),
        (DIGITS.replace("return rows", "import os\n        return rows"), "at the top"),
        (DIGITS.replace("return rows", "eval('1')\n        return rows"), "eval"),
        (DIGITS + "\n\nclass Two(Filter):\n    pass\n", "exactly one class"),
        (DIGITS + "\nprint('hi')\n", "only imports and the class"),
        (DIGITS.replace("input_key=", "text_field="), "must be a field key"),
        (DIGITS.replace("minimum=0", "minimum"), "needs a default"),
        (DIGITS.replace("def process", "def handle"), "no process"),
    ],
)
def test_bad_code_is_rejected_with_the_reason_and_never_run(code, says):
    with pytest.raises(CodeRejected) as caught:
        check_operator_code(code)
    assert says in str(caught.value)


@needs_bwrap
async def test_the_class_runs_on_the_sample_in_the_sandbox():
    synthesised = check_operator_code(DIGITS)
    bindings = {"input_key": "text", "output_key": "digit_count"}
    trial = await operator_trial(synthesised, SAMPLE, bindings, timeout=60)
    assert trial.stage == "done", trial.error
    assert [r["digit_count"] for r in trial.rows] == [7, 0, 8]
    assert unit_problems(synthesised, trial, bindings, len(SAMPLE)) == []


@needs_bwrap
async def test_a_class_that_fails_on_rows_or_writes_nothing_is_reported():
    broken = check_operator_code(DIGITS.replace("row[input_key]))", "row[input_key])) // 0"))
    bindings = {"input_key": "text", "output_key": "digit_count"}
    trial = await operator_trial(broken, SAMPLE, bindings, timeout=60)
    problems = unit_problems(broken, trial, bindings, len(SAMPLE))
    assert problems and "ZeroDivisionError" in problems[0]
    silent = check_operator_code(
        DIGITS.replace('row[output_key] = len(re.findall(r"[0-9]", row[input_key]))', "pass")
    )
    trial = await operator_trial(silent, SAMPLE, bindings, timeout=60)
    assert unit_problems(silent, trial, bindings, len(SAMPLE)) == [
        "DigitCounter did not write the field digit_count on every row"
    ]


@needs_bwrap
async def test_hostile_code_that_skipped_the_checks_is_still_contained(tmp_path):
    # the sandbox is the boundary: code run without the static checks reaches nothing
    marker = tmp_path / "pwned"
    hostile = f"""
import os, socket, subprocess
from streamflow import Refiner

os.system("touch {marker}")
try:
    open({str(marker)!r}, "w").write("x")
except OSError as exc:
    print("no write:", type(exc).__name__)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    print("NETWORK REACHED")
except OSError:
    print("no network")


class Evil(Refiner):
    def process(self, rows, input_key="text"):
        subprocess.run(["touch", {str(marker)!r}])
        return rows
"""
    trial = await run_operator_source(hostile, "Evil", SAMPLE, {"input_key": "text"}, timeout=60)
    assert not marker.exists()
    assert "NETWORK REACHED" not in trial.output
    assert "no network" in trial.output
