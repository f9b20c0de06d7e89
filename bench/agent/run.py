"""Evaluation harness of `streamflow agent` over tasks in the format of shared/agent/README.md.

Per task and overall: retrieval recall@1/3/5/10, operator precision/recall/F1 against the gold
slots, order agreement, valid (the file compiled), runs (it ran on the task's data in the sandbox
and the output met ``output_keys`` and ``checks``), refusals where the task expects one, repair
rounds, LLM calls, tokens and seconds. Deterministic: no LLM judge (streamflow.agent.scoring).

The oracle ladder (``--oracle``) shows each stage on its own:

- ``oracle_retrieval``: the query of each slot is the first sentence of its first operator's own
  description (a well-phrased step); recall@k of the retriever on those queries;
- ``--baseline`` replaces the model by a rule (the first offered option everywhere): what
  retrieval and the rules reach alone;
- ``oracle_plan``: the gold operators (the first of each slot that the library has), in gold
  order, go through binding, assembly, compile and the sandboxed run; no model decides anything
  but the LLM steps' answers on the sample.

Usage (from the repository root; the embedded engine needs the engine lock)::

    flock /tmp/sf-engine.lock python bench/agent/run.py --tasks ../shared/agent/dev-tasks.jsonl \
        --oracle --out bench/agent/results-smollm2.json
    python bench/agent/run.py --base-url http://HOST:8000/v1 --model Qwen2.5-7B-Instruct ...
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the streamflow of this checkout
from streamflow.agent import AgentOptions, PipelineAgent
from streamflow.agent.assemble import assemble
from streamflow.agent.catalog import operator_cards, pipeline_cards
from streamflow.agent.plan import Step, check_plan, field_types
from streamflow.agent.retrieve import OperatorRetriever
from streamflow.agent.scoring import (
    operator_scores,
    order_agreement,
    output_checks,
    retrieval_recall,
)
from streamflow.agent.verify import check_output, trial_run
from streamflow.serving.base import LLMServing, SamplingParams

KS = (1, 3, 5, 10)


def resolve(task: dict[str, Any], folder: Path) -> tuple[list[dict[str, Any]], str | None, tuple]:
    """The task's rows with its resources handed over (db_path, absolute sources)."""
    resources = task.get("resources") or {}
    databases = None
    readable: list[str] = []
    if "databases" in resources:
        databases = str((folder / resources["databases"]).resolve())
        readable.append(databases)
    files = resources.get("db_files") or {}
    rows = []
    for row in task.get("data") or []:
        row = dict(row)
        if "db_id" in row and databases and row["db_id"] in files:
            row["db_path"] = str(Path(databases) / files[row["db_id"]])
        source = row.get("source")
        if isinstance(source, str) and not source.startswith(("/", "http:", "https:")):
            row["source"] = str((folder / source).resolve())
            readable.append(str(Path(row["source"]).parent))
        rows.append(row)
    return rows, databases, tuple(dict.fromkeys(readable))


def score(task: dict[str, Any], report: Any) -> dict[str, Any]:
    gold = task["gold"]
    produced = [s.operator for s in report.steps]
    out: dict[str, Any] = {"id": task["id"], "level": task["level"], "family": task["family"]}
    if task.get("expect") == "refuse":
        out.update(refused_as_expected=report.refused, refused=report.refused)
        return out
    out.update({f"recall@{k}": retrieval_recall(gold, report.candidates, k) for k in KS})
    out.update(operator_scores(gold, produced, task.get("optional", [])))
    out["order"] = order_agreement(gold, produced, task.get("unordered", []))
    failed = output_checks(
        report.sample_output, report.rows_out, task.get("output_keys", []), task.get("checks", {})
    )
    out.update(
        refused=report.refused,
        valid=report.compiled,
        runs=report.ran and report.ok and not failed,
        output_failures=failed,
        rounds=report.rounds,
        calls=report.cost.get("calls", 0),
        tokens=report.cost.get("prompt_tokens", 0) + report.cost.get("completion_tokens", 0),
        seconds=report.cost.get("seconds", 0.0),
        produced=produced,
        descriptions=report.step_descriptions,
        choices=[n for n in report.repairs if "the model chose" in n or "; kept " in n],
        reason=report.reason[:300],
    )
    return out


async def oracle_plan(
    task: dict[str, Any],
    rows: list[dict[str, Any]],
    databases: str | None,
    readable: tuple,
    cards: dict,
    serving: LLMServing,
    timeout: float,
) -> dict[str, Any]:
    steps = []
    for slot in task["gold"]:
        name = next((n for n in slot if n in cards), None)
        if name is not None:
            steps.append(Step(f"gold slot {slot}", name))
    missing = sum(1 for slot in task["gold"] if not any(n in cards for n in slot))
    check = check_plan(steps, cards, field_types(rows), task["request"])
    if check.problems:
        return {
            "valid": False,
            "runs": False,
            "missing_operators": missing,
            "problems": [p for _, p in check.problems],
        }
    source = assemble(
        check.steps,
        cards,
        request=task["request"],
        data_file=None,
        databases=databases,
        has_input=bool(rows),
    ).source
    env = {"STREAMFLOW_DATABASES": databases} if databases else {}
    trial = await trial_run(
        source, rows, serving, rows=max(len(rows), 1), timeout=timeout, readable=readable, env=env
    )
    failed = output_checks(
        trial.rows, trial.rows_out, task.get("output_keys", []), task.get("checks", {})
    ) + check_output(trial, [], rows)  # the agent's own checks: no step drops every row ...
    return {
        "valid": trial.compiled,
        "runs": trial.stage == "done" and not failed,
        "missing_operators": missing,
        "stage": trial.stage,
        "error": trial.error[:300],
        "output_failures": failed,
    }


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [r for r in results if "f1" in r]
    summary: dict[str, Any] = {"tasks": len(results)}
    for key in (
        *(f"recall@{k}" for k in KS),
        "precision",
        "recall",
        "f1",
        "order",
        "rounds",
        "calls",
        "tokens",
        "seconds",
    ):
        values = [r[key] for r in scored if r.get(key) is not None]
        summary[key] = round(statistics.fmean(values), 3) if values else None
    for key in ("valid", "runs", "refused"):
        summary[key] = f"{sum(bool(r.get(key)) for r in scored)}/{len(scored)}"
    refusals = [r for r in results if "refused_as_expected" in r]
    if refusals:
        summary["refusals_met"] = (
            f"{sum(r['refused_as_expected'] for r in refusals)}/{len(refusals)}"
        )
    oracle = [r["oracle_plan"] for r in results if "oracle_plan" in r]
    if oracle:
        summary["oracle_plan_valid"] = f"{sum(o['valid'] for o in oracle)}/{len(oracle)}"
        summary["oracle_plan_runs"] = f"{sum(o['runs'] for o in oracle)}/{len(oracle)}"
    ranked = [r["oracle_retrieval"] for r in results if "oracle_retrieval" in r]
    for k in KS:
        if ranked:
            summary[f"oracle_recall@{k}"] = round(
                statistics.fmean(o[f"recall@{k}"] for o in ranked), 3
            )
    return summary


def first_option(prompt: str) -> str:
    """The no-model baseline: every question answered with its first offered option (the
    top retrieved operator), no parameters, no refusal; a pipeline's own LLM steps get "4"."""
    if "Split the request" in prompt:
        return json.dumps({"feasible": True, "reason": "", "steps": []})
    if "Which operator does this step?" in prompt:
        found = re.search(r"\n- (\w+)\(", prompt)
        return json.dumps({"operator": found.group(1) if found else "NONE"})
    if "Does this operator do this step?" in prompt:
        return json.dumps({"answer": "yes"})
    if "Its trial run failed" in prompt:
        return json.dumps({"action": "remove", "operator": "NONE"})
    if "No operator of the library does this step" in prompt:
        return json.dumps({"kind": "generate", "instruction": "Answer.", "output_field": "answer"})
    if "parameter values" in prompt:
        return "{}"
    return "4"


def make_serving(args: argparse.Namespace) -> LLMServing:
    if args.baseline:
        from streamflow.testing import ScriptedServing

        return ScriptedServing(first_option)
    params = SamplingParams(temperature=0.0, max_tokens=384)
    if args.base_url:
        from streamflow.serving.openai_compat import OpenAIServing

        return OpenAIServing(args.model, args.base_url, params=params)
    from streamflow.serving.vllm_backend import VLLMServing

    return VLLMServing(
        args.model, params=params, max_model_len=2048, max_num_seqs=32, kv_cache_gib=1.0
    )


async def main(args: argparse.Namespace) -> None:
    tasks_file = Path(args.tasks).resolve()
    tasks = [json.loads(line) for line in tasks_file.read_text().splitlines() if line.strip()]
    if args.only:
        tasks = [t for t in tasks if t["id"] in args.only]
    cards = operator_cards()
    started = time.monotonic()
    retriever = await OperatorRetriever.build(cards, pipeline_cards(), method=args.retrieval)
    print(
        f"index of {len(cards)} operators built in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    serving = make_serving(args)
    results = []
    async with serving:
        for task in tasks:
            rows, databases, readable = resolve(task, tasks_file.parent)
            options = AgentOptions(
                max_rounds=args.max_rounds,
                trial_rows=max(len(rows), 1),
                trial_timeout=args.trial_timeout,
                retrieval=args.retrieval,
                databases=databases,
                readable=readable,
                synthesis=args.synthesis,
            )
            agent = PipelineAgent(
                serving,
                options,
                cards=cards,
                retriever=retriever,
                progress=lambda node, msg, tid=task["id"]: print(
                    f"[{tid}] {node}: {msg[:240]}", file=sys.stderr
                ),
            )
            report = await agent.run(task["request"], rows)
            result = score(task, report)
            if args.oracle and task.get("expect") != "refuse":
                queries = [
                    cards[n].summary.split(". ")[0]
                    for slot in task["gold"]
                    for n in slot[:1]
                    if n in cards
                ]
                ranking = [[c.name for c in await retriever.search(q, 10)] for q in queries]
                result["oracle_retrieval"] = {
                    f"recall@{k}": retrieval_recall(task["gold"], ranking, k) for k in KS
                }
                result["oracle_plan"] = await oracle_plan(
                    task, rows, databases, readable, cards, serving, args.trial_timeout
                )
            results.append(result)
            print(json.dumps(result), file=sys.stderr)
            if args.keep:
                Path(args.keep).mkdir(parents=True, exist_ok=True)
                (Path(args.keep) / f"{task['id']}.txt").write_text(
                    report.text() + "\n\n" + (report.source or ""), encoding="utf-8"
                )
    summary = summarise(results)
    out = {
        "model": serving.model,
        "retrieval": args.retrieval,
        "max_rounds": args.max_rounds,
        "synthesis": args.synthesis,
        "summary": summary,
        "tasks": results,
    }
    text = json.dumps(out, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="../shared/agent/dev-tasks.jsonl")
    parser.add_argument("--model", default=None)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--retrieval", default="hybrid", choices=["hybrid", "bm25"])
    parser.add_argument("--max-rounds", type=int, default=2)
    parser.add_argument("--trial-timeout", type=float, default=240.0)
    parser.add_argument("--oracle", action="store_true")
    parser.add_argument(
        "--baseline", action="store_true", help="no model: always the top retrieved operator"
    )
    parser.add_argument(
        "--no-synthesis",
        dest="synthesis",
        action="store_false",
        help="no operator classes written by the model (gap steps get prompts only)",
    )
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--out")
    parser.add_argument("--keep", help="folder for each task's report and pipeline file")
    anyio.run(main, parser.parse_args())
