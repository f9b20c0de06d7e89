"""Answer equivalence through math-verify worker processes with a hard deadline per item."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import psutil
import pytest

pytest.importorskip("math_verify")

from streamflow.operators.reasoning.answers import extract_answer, extract_gsm8k_marker
from streamflow.operators.reasoning.verify import AnswerVerifier, Verdict

TIMEOUT = 2.0

PATHOLOGICAL = {
    "50,000-character sum": "+".join(["1"] * 25_000),
    "fractions nested 2,000 deep": "\\frac{1}{" * 2000 + "2" + "}" * 2000,
    "\\frac loop": "\\frac" * 10_000,
    "tower of powers": "10^{10^{10^{10}}}",
    "huge factorial": "(10^{8})!",
}


@pytest.fixture(scope="module")
def verifier() -> Iterator[AnswerVerifier]:
    with AnswerVerifier(timeout=TIMEOUT, processes=2) as v:
        yield v


def test_equivalent_forms(verifier: AnswerVerifier) -> None:
    pairs = [
        ("\\frac{1}{2}", "0.5"),
        ("18", "18.00"),
        ("$x^2+2x+1$", "(x+1)^2"),
        ("\\frac{\\sqrt{2}}{2}", "\\sqrt{2}/2"),
        ("\\{1, 2\\}", "\\{2, 1\\}"),
        ("5", "4"),
        ("\\pi", "3.14159"),
        ("x+1", ""),
    ]
    verdicts = verifier.check_many(pairs)
    assert [v.equal for v in verdicts] == [True, True, True, True, True, False, False, False]
    assert verdicts[-1].reason == "no answer"
    assert "math-verify" in verdicts[2].reason  # not settled by the string shortcuts


def test_empty_reference_is_undecided(verifier: AnswerVerifier) -> None:
    assert verifier.check("", "3") == Verdict(None, "empty reference answer")


def test_pathological_inputs_time_out_and_the_pool_goes_on(verifier: AnswerVerifier) -> None:
    """Each bad expression costs at most its deadline; the workers are replaced; the good pair
    queued behind them is still checked."""
    pairs = [("1", expr) for expr in PATHOLOGICAL.values()] + [("$x^2-1$", "(x-1)(x+1)")]
    killed_before = verifier.killed
    started = time.monotonic()
    verdicts = verifier.check_many(pairs)
    elapsed = time.monotonic() - started
    bad, good = verdicts[:-1], verdicts[-1]
    report = {name: v for name, v in zip(PATHOLOGICAL, bad, strict=True)}
    print("\npathological inputs:", json.dumps({k: v.reason for k, v in report.items()}, indent=1))
    for name, verdict in report.items():
        assert verdict.equal is not True, name
        if verdict.equal is None:
            assert verdict.reason == f"math-verify timed out after {TIMEOUT:g}s", name
    timed_out = sum(v.equal is None for v in bad)
    assert timed_out >= 3  # the long sum, the deep nesting and the powers cannot finish in 2 s
    # each overrun killed its worker (a worker too slow to start on a loaded machine is too)
    assert verifier.killed - killed_before >= timed_out
    # Bounded: every item's deadline, run two at a time, plus worker restarts (not a benchmark).
    assert elapsed < len(pairs) * (TIMEOUT + 15)
    assert good == Verdict(True, "equivalent (math-verify)")
    assert verifier.check("\\frac{2}{4}", "$\\frac{1}{2}$").equal is True
    assert verifier.workers <= verifier.processes


def test_killed_workers_leave_no_process(verifier: AnswerVerifier) -> None:
    verifier.check_many([("1", "2+x"), ("1", "3+x")])  # start both workers
    before = verifier.idle_pids()
    assert verifier.check("1", "(10^{8})!").equal is None
    after = verifier.idle_pids()
    killed = before - after
    assert len(killed) == 1
    assert not any(_alive(pid) for pid in killed)
    assert all(_alive(pid) for pid in after)


def test_threads_share_the_pool(verifier: AnswerVerifier) -> None:
    results: dict[int, list[Verdict]] = {}

    def work(k: int) -> None:
        results[k] = verifier.check_many([(str(k), f"$\\frac{{{2 * k}}}{{2}}$"), (str(k), "x")])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r[0].equal is True and r[1].equal is False for r in results.values())
    assert verifier.workers <= verifier.processes


def test_async_callers_stay_off_the_loop(verifier: AnswerVerifier) -> None:
    """While a pair takes its full deadline, the event loop keeps ticking."""
    ticks = 0

    async def main() -> list[Verdict]:
        nonlocal ticks
        async with anyio.create_task_group() as tg:

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await anyio.sleep(0.05)
                    ticks += 1

            tg.start_soon(tick)
            verdicts = await verifier.acheck_many([("1", "10^{10^{10^{10}}}")])
            tg.cancel_scope.cancel()
        return verdicts

    verdicts = anyio.run(main)
    assert verdicts[0].equal is None
    assert ticks >= 10


def test_missing_math_verify_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "math_verify" else real(name)
    )
    with pytest.raises(Exception, match=r"streamflow-data\[math\]"):
        AnswerVerifier()


def test_gsm8k_reference_solutions_agree_with_their_answers(
    shared_data: Path, verifier: AnswerVerifier
) -> None:
    """Extraction and checking together on all 1,319 GSM8K test solutions: the answer taken
    from the worked solution (its ``####`` line removed) against the ``####`` answer."""
    rows = [json.loads(line) for line in (shared_data / "gsm8k" / "test.jsonl").open()]
    assert len(rows) == 1319
    solutions, golds = [], []
    for row in rows:
        solution, _, _ = row["answer"].rpartition("####")
        solutions.append(solution)
        golds.append(extract_gsm8k_marker(row["answer"]))
    extracted = [extract_answer(s) for s in solutions]
    verdicts = verifier.check_many(list(zip(golds, extracted, strict=True)))
    misses = [
        (i, golds[i], extracted[i], solutions[i].strip().splitlines()[-1][-90:])
        for i, v in enumerate(verdicts)
        if v.equal is not True
    ]
    agreement = 1 - len(misses) / len(rows)
    print(f"\nGSM8K agreement: {len(rows) - len(misses)}/{len(rows)} = {agreement:.4f}")
    for miss in misses:
        print(f"  miss: line {miss[0] + 1} gold {miss[1]!r} extracted {miss[2]!r} ... {miss[3]!r}")
    assert all(v.decided for v in verdicts)
    assert agreement >= 0.995


@pytest.mark.slow
def test_gsm8k_agreement_through_math_verify_alone(shared_data: Path) -> None:
    """The same check with every pair sent to math-verify (no string or number shortcut).

    Slow only in the sense of large data: 1,319 math-verify calls, about 15 s on two cores."""
    rows = [json.loads(line) for line in (shared_data / "gsm8k" / "test.jsonl").open()]
    pairs = []
    for row in rows:
        solution, _, _ = row["answer"].rpartition("####")
        pairs.append((extract_gsm8k_marker(row["answer"]), extract_answer(solution)))
    with AnswerVerifier(timeout=10, processes=2, shortcut=False) as strict:
        verdicts = strict.check_many(pairs)
    assert all("math-verify" in v.reason for v in verdicts)
    misses = [(i + 1, *pairs[i]) for i, v in enumerate(verdicts) if v.equal is not True]
    agreement = 1 - len(misses) / len(rows)
    print(f"\nGSM8K agreement, math-verify only: {agreement:.4f}; misses (line, gold, answer):")
    print("\n".join(f"  {m}" for m in misses))
    # Three more misses than with the shortcuts: solutions that end on a fraction of a whole
    # (0.25) where the gold is the percentage (25). math-verify does not equate them; the
    # number shortcut does, as Qwen's checker does.
    assert agreement >= 0.99


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
