"""report: what the agent did, for a person and for the evaluation harness."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AgentReport", "StepReport"]


@dataclass
class StepReport:
    operator: str
    description: str
    why: str
    gap: bool = False


@dataclass
class AgentReport:
    request: str
    ok: bool
    """A pipeline was written that compiled and met the output checks on the sample."""
    refused: bool = False
    """The agent says no pipeline can honestly meet the request (``reason`` says why)."""
    reason: str = ""
    source: str | None = None
    path: str | None = None
    steps: list[StepReport] = field(default_factory=list)
    unsatisfied: list[str] = field(default_factory=list)
    """What the pipeline could not satisfy."""
    repairs: list[str] = field(default_factory=list)
    """Rule-based and model-made repairs, in order."""
    rounds: int = 0
    """Repair rounds after the first verification (each counted once)."""
    compiled: bool = False
    ran: bool = False
    trial_stage: str = ""
    trial_error: str = ""
    sample_output: list[dict[str, Any]] = field(default_factory=list)
    rows_out: int = 0
    cost: dict[str, Any] = field(default_factory=dict)
    candidates: list[list[str]] = field(default_factory=list)
    """Retrieved operators per step description, best first (what recall@k is measured on)."""
    step_descriptions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["steps"] = [vars(s) for s in self.steps]
        return out

    def text(self) -> str:
        """The report a person reads after ``streamflow agent``."""
        lines = [f"request: {self.request}"]
        if self.refused:
            lines.append(f"REFUSED: {self.reason}")
        for n, step in enumerate(self.steps, 1):
            tag = " [written prompt]" if step.gap else ""
            lines.append(f"  {n}. {step.operator}{tag}: {step.description} -- {step.why}")
        if self.repairs:
            lines.append("repairs:")
            lines += [f"  - {r}" for r in self.repairs]
        if self.unsatisfied:
            lines.append("could not satisfy:")
            lines += [f"  - {u}" for u in self.unsatisfied]
        if self.trial_stage:
            verdict = "ran" if self.ran else f"stopped at {self.trial_stage}: {self.trial_error}"
            lines.append(
                f"trial on the sample: {verdict}; compiled={self.compiled}; "
                f"{self.rows_out} rows out; repair rounds {self.rounds}"
            )
        for row in self.sample_output[:3]:
            lines.append("  " + json.dumps(row, ensure_ascii=False)[:300])
        c = self.cost
        if c:
            lines.append(
                f"cost: {c.get('calls', 0)} calls, {c.get('prompt_tokens', 0)}+"
                f"{c.get('completion_tokens', 0)} tokens, {c.get('seconds', 0)} s"
            )
        if self.path:
            lines.append(f"pipeline written to {self.path}")
        elif not self.ok:
            lines.append("no pipeline written")
        return "\n".join(lines)
