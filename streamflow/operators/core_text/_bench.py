"""What the benchmark evaluators share: checking an answer against its reference, reading a
judge's verdict, and the running statistics a report is made of.

The bench evaluators are dataset evaluators that, as DataFlow's do, also write each row's
result into the row (``answer_match_result``, or ``eval_score``/``eval_valid``/... for the
unified one): a row leaves the step with its verdict, and the report (accuracy and counts,
written to ``eval_result_path`` when one is given) comes at the end of the stream. The counts
are plain data, saved at every checkpoint, so a resumed run reports over every row.

``"match"`` uses the reasoning family's answer extraction (a boxed answer, a final-answer
sentence, else the last number) and its math-equivalence checker (string, number and
math-verify comparison in worker processes, with a time limit per item).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from streamflow.operators.reasoning.answers import extract_answer
from streamflow.operators.reasoning.verify import shared_verifier

__all__ = ["BenchStats", "judge_verdict", "math_matches", "write_report"]


_MATHY = re.compile(r"[0-9\\^=+*/{}()\u03c0\u221a]")


async def math_matches(pairs: list[tuple[Any, Any]]) -> list[bool]:
    """For each ``(model answer, reference)``: is the answer's final answer equal to it?

    Two plain words ("Paris", "Lyon") hold nothing math-verify could equate, so pairs where
    neither side has a digit or a math sign are decided here (unequal) without starting the
    checker's worker processes.
    """
    checks = [(reference, extract_answer(answer)) for answer, reference in pairs]
    todo = [i for i, (ref, ans) in enumerate(checks) if _MATHY.search(f"{ref}{ans}")]
    out = [False] * len(checks)
    if todo:
        verdicts = await shared_verifier().acheck_many([checks[i] for i in todo])
        for i, verdict in zip(todo, verdicts, strict=True):
            out[i] = verdict.equal is True
    return out


_VERDICT = re.compile(r'"judgement_result"\s*:\s*"?(true|false)\b', re.I)


def judge_verdict(reply: str) -> bool | None:
    """A judge's ``judgement_result``; ``None`` when the reply holds no verdict.

    DataFlow falls back to "true appears anywhere in the reply"; here a reply without the
    field is no verdict (the row is counted as an empty response and does not match).
    """
    found = _VERDICT.findall(reply)
    return found[-1].lower() == "true" if found else None


class BenchStats:
    """Running counts: rows seen, rows matched, judge replies that held no verdict."""

    def __init__(self) -> None:
        self.total = 0
        self.matched = 0
        self.empty = 0

    def add(self, matched: bool, empty: bool = False) -> None:
        self.total += 1
        self.matched += int(matched)
        self.empty += int(empty)

    def report(self, compare_method: str, name: str = "") -> dict[str, Any]:
        valid = self.total - self.empty
        return {
            "bench_name_or_prefix": name,
            "total_samples": self.total,
            "valid_samples": valid,
            "matched_samples": self.matched,
            "accuracy": self.matched / valid if valid else 0.0,
            "empty_responses_count": self.empty,
            "compare_method": compare_method,
        }

    def state(self) -> dict[str, int]:
        return {"total": self.total, "matched": self.matched, "empty": self.empty}

    def load(self, state: dict[str, Any]) -> None:
        self.total = int(state.get("total", 0))
        self.matched = int(state.get("matched", 0))
        self.empty = int(state.get("empty", 0))


def write_report(path: str | None, report: dict[str, Any]) -> None:
    """Write ``report`` as JSON to ``path`` (DataFlow's ``eval_result_path``), if one is set."""
    if path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps([report], ensure_ascii=False, indent=2))
