"""verify: a pipeline file is compiled and run on the first rows of the sample, in the sandbox.

Nothing the agent produced runs on the host: the file is imported, ``compile()``-d and run by a
small runner program inside :class:`~streamflow.sandbox.Sandbox` (no network, a private work
directory, CPU, memory, process and wall-clock limits). Its LLM steps reach the agent's serving
through :class:`~streamflow.agent.relay.ServingRelay` only. The runner prints one JSON line: the
stage reached (``load``, ``compile``, ``run``, ``done``), the error if any, the per-step
statistics, the dead letters and the output rows. :func:`check_output` then applies the output
checks: the requested fields present, no step that dropped everything it was given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamflow.agent.relay import FORWARDER, ServingRelay
from streamflow.sandbox import Limits, Sandbox
from streamflow.serving.base import LLMServing

__all__ = ["Trial", "check_output", "streamflow_root", "trial_run", "trial_sandbox"]

PIPELINE_FILE = "pipeline.py"
SAMPLE_FILE = "sample.jsonl"
OUTPUT_FILE = "out.jsonl"
MiB = 1 << 20

RUNNER = (
    FORWARDER
    + """
import importlib.util, inspect, json, os, sys, traceback

def emit(**report):
    sys.stdout.write("\\n@@TRIAL@@" + json.dumps(report, default=str) + "\\n")
    sys.stdout.flush()

def main():
    spec = json.load(open("trial.json"))
    if spec.get("socket"):
        port = start_forwarder(spec["socket"])
        os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
        os.environ.setdefault("OPENAI_API_KEY", "sandbox")
    for key, value in spec.get("env", {}).items():
        os.environ[key] = value
    try:
        from streamflow.pipeline import Pipeline
        module_spec = importlib.util.spec_from_file_location("agent_pipeline", "pipeline.py")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        classes = [c for c in vars(module).values() if inspect.isclass(c)
                   and issubclass(c, Pipeline) and c.__module__ == "agent_pipeline"]
        if len(classes) != 1:
            return emit(stage="load", error=f"{len(classes)} Pipeline classes in the file")
        pipeline = classes[0]()
    except Exception as exc:
        return emit(stage="load", error=f"{type(exc).__name__}: {exc}",
                    trace=traceback.format_exc(limit=4))
    try:
        plan = pipeline.compile(source_fields=spec.get("fields"))
        steps = [str(getattr(s, "label", s)) for s in getattr(plan, "steps", [])]
    except Exception as exc:
        return emit(stage="compile", error=f"{type(exc).__name__}: {exc}")
    sys.stdout.write("\\n@@COMPILED@@\\n")
    sys.stdout.flush()
    try:
        result = pipeline.run(input=spec.get("input"), output="out.jsonl",
                              max_failed_fraction=1.0)
    except BaseException as exc:
        return emit(stage="run", error=f"{type(exc).__name__}: {exc}",
                    trace=traceback.format_exc(limit=6))
    rows = []
    if os.path.exists("out.jsonl"):
        with open("out.jsonl", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    dead = [{"operator": d.operator, "error": d.error} for d in result.dead_letters.records()[:20]]
    emit(stage="done", steps=steps, stats=result.stats.snapshot(), dead_letters=dead,
         dead_count=result.dead_letters.count, rows=rows[:50], rows_out=len(rows),
         reports=result.reports)

main()
"""
)


@dataclass
class Trial:
    """What one sandboxed trial run said."""

    stage: str
    """``load``/``compile``/``run``: where it stopped with ``error``; ``done``: it ran; ``sandbox``:
    the sandbox stopped it (time, memory, ...)."""
    error: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    rows_out: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    dead_letters: list[dict[str, str]] = field(default_factory=list)
    dead_count: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    """Output checks that failed (see :func:`check_output`)."""
    reached_run: bool = False
    """The sandbox stopped it (time, memory) after ``compile()`` had passed."""
    cancelled_requests: int = 0
    """LLM requests the trial left queued or generating, cancelled at the serving when it ended."""

    @property
    def compiled(self) -> bool:
        return self.stage in ("run", "done") or (self.stage == "sandbox" and self.reached_run)

    @property
    def ok(self) -> bool:
        return self.stage == "done" and not self.problems


def streamflow_root() -> str:
    """The folder that holds this ``streamflow`` package (the trial imports the same code)."""
    return str(Path(__file__).resolve().parents[2])


def trial_sandbox(
    timeout: float,
    *,
    memory_mib: int,
    processes: int,
    output_mib: int,
    readable: tuple[str, ...] = (),
) -> Sandbox:
    """A sandbox for one trial of code the agent wrote: this checkout's streamflow importable,
    ``timeout`` seconds of wall-clock and of CPU time, and the given limits."""
    limits = Limits(
        wall_seconds=timeout,
        cpu_seconds=timeout,
        memory_bytes=memory_mib * MiB,
        processes=processes,
        output_bytes=output_mib * MiB,
    )
    return Sandbox(limits, pythonpath=(streamflow_root(),), readable=readable)


async def trial_run(
    source: str,
    sample: list[dict[str, Any]],
    serving: LLMServing | None,
    *,
    rows: int = 5,
    timeout: float = 300.0,
    readable: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    sandbox: Sandbox | None = None,
) -> Trial:
    """Compile and run ``source`` on the first ``rows`` rows of ``sample`` in the sandbox."""
    sandbox = sandbox or trial_sandbox(
        timeout, memory_mib=8192, processes=256, output_mib=8, readable=readable
    )
    relay = ServingRelay(serving) if serving is not None else None
    files: dict[str, str | bytes] = {PIPELINE_FILE: source}
    spec: dict[str, Any] = {"env": dict(env or {})}
    if sample:
        files[SAMPLE_FILE] = "".join(
            json.dumps(r, ensure_ascii=False) + "\n" for r in sample[:rows]
        )
        spec["input"] = SAMPLE_FILE
        spec["fields"] = list(dict.fromkeys(k for r in sample[:rows] for k in r))
    extra = tuple(readable)
    if relay is not None:
        await relay.__aenter__()
        spec["socket"] = relay.socket
        extra += (relay.folder,)
    try:
        files["trial.json"] = json.dumps(spec)
        run_sandbox = sandbox
        if extra != sandbox.readable:
            run_sandbox = Sandbox(
                sandbox.limits,
                pythonpath=sandbox.pythonpath,
                readable=extra,
                mode=sandbox.mode,
            )
        result = await run_sandbox.run(
            RUNNER,
            files=files,
            timeout=timeout,
            env={"HOME": "/tmp", "STREAMFLOW_NO_PROGRESS": "1", "TOKENIZERS_PARALLELISM": "false"},
        )
    finally:
        if relay is not None:
            await relay.__aexit__(None, None, None)  # cancels what the trial left queued
    cancelled = relay.cancelled if relay is not None else 0
    marker = result.stdout.rfind("@@TRIAL@@")
    if marker < 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        tail = [line for line in lines if "@@COMPILED@@" not in line][-6:]
        left = f" ({cancelled} LLM request(s) it left were cancelled)" if cancelled else ""
        return Trial(
            "sandbox",
            error=f"{result.detail or result.reason}{left}: " + " | ".join(tail),
            seconds=result.wall_seconds,
            reached_run="@@COMPILED@@" in result.stdout,
            cancelled_requests=cancelled,
        )
    report = json.loads(result.stdout[marker + len("@@TRIAL@@") :].strip().splitlines()[0])
    return Trial(
        stage=report["stage"],
        error=report.get("error", ""),
        rows=report.get("rows", []),
        rows_out=report.get("rows_out", 0),
        stats=report.get("stats", {}),
        dead_letters=report.get("dead_letters", []),
        dead_count=report.get("dead_count", 0),
        seconds=result.wall_seconds,
        cancelled_requests=cancelled,
    )


def check_output(
    trial: Trial,
    output_keys: list[str],
    sample: list[dict[str, Any]] = (),  # type: ignore[assignment]
    min_rows: int = 0,
) -> list[str]:
    """The output checks a finished trial must meet; a list of what failed (empty: all met)."""
    if trial.stage != "done":
        return [f"the trial stopped at {trial.stage}: {trial.error}"]
    problems = []
    for row in trial.rows:
        missing = [k for k in output_keys if k not in row]
        if missing:
            problems.append(f"output rows lack the requested field(s) {', '.join(missing)}")
            break
    for step in trial.stats.get("steps", [])[1:-1]:
        rows_in, failed = step.get("rows_in", 0), step.get("failed", 0)
        if rows_in and step.get("rows_out", 0) == 0:
            why = f"all {failed} failed" if failed else "it dropped every row"
            example = next(
                (d["error"] for d in trial.dead_letters if d["operator"] == step["name"]), ""
            )
            problems.append(
                f"step {step['name']} passed none of its {rows_in} rows ({why})"
                + (f": {example[:300]}" if example else "")
            )
    produced = {k for row in trial.rows for k in row} - {k for row in sample for k in row}
    for name in sorted(produced):
        values = [row.get(name) for row in trial.rows if name in row]
        if values and all(v in ("", None, [], {}) for v in values):
            problems.append(f"the field {name} a step added is empty in every output row")
    if trial.rows_out < min_rows:
        problems.append(f"{trial.rows_out} rows out, fewer than {min_rows}")
    return problems
