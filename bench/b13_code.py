"""B13: the code family's costs: the sandbox evaluator's throughput, and code_code_to_sft_data
against a fixed-latency OpenAI-style server.

- Sandbox evaluator: ``--rows`` small (code, tests) programs (a function and three asserts,
  all passing) through ``CodeSandboxSampleEvaluator`` with a sandbox of 1, 2, 4 and 8 runs in
  flight; rows per second, and CPU time per row (this process and its children, user + system).
- Pipeline: ``CodeSFTSynthesisPipeline`` (3 LLM calls a row, then one sandbox run) on
  ``OpenAIServing(max_concurrency=C)`` against ``python bench/b13_code.py serve LATENCY`` (its
  own process: every call takes exactly LATENCY seconds; replies are a fixed instruction, a small
  correct function, and "Score: 8"), ``--pipeline-rows`` rows, no run directory, with a sandbox
  of ``--sandbox-in-flight`` runs at once; rows per wall-clock second of the run (imports and
  interpreter start excluded).

- Windowed evaluator: ``--window-rows`` programs through the evaluator in a Pipeline (batches
  of ``--batch-size``), every ``--slow-every``-th sleeping ``--slow-seconds``, on a sandbox of
  ``--window-in-flight`` places, with the default (windowed) stage and with ``--workers 1``
  (one batch at a time, as before issue 20); rows/s and the places' busy share.

    python bench/b13_code.py --rows 200 --pipeline-rows 200 --latency 0.2 --concurrency 32
    python bench/b13_code.py --in-flight --pipeline-rows 0 --window-rows 256 --slow-every 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FUNCTION = "def scale(values, k):\n    return [v * k for v in values]\n"


def program(i: int) -> tuple[str, str]:
    code = FUNCTION.replace("scale", f"scale_{i}")
    tests = "\n".join(f"assert scale_{i}([1, 2], {k}) == [{k}, {2 * k}]" for k in (1, 2, i))
    return code, tests


def reply(prompt: str) -> str:
    if "Review the code below" in prompt:
        return "Score: 8\nFeedback: Correct."
    if "Carry out the request below" in prompt:
        return "```python\ndef solve(x):\n    return x\n\nassert solve(3) == 3\n```"
    return "Write a function that returns its argument unchanged."


def serve(latency: float) -> None:
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        await asyncio.sleep(latency)
        text = reply(prompt)
        return web.json_response(
            {
                "id": "b13",
                "model": "b13",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4},
            }
        )  # fmt: skip

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "b13"}]})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        app.router.add_get("/v1/models", models)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, backlog=4096).start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bench_evaluator(rows: int, concurrency: int) -> dict[str, float]:
    from streamflow.operators.code.sandbox_evaluator import CodeSandboxSampleEvaluator
    from streamflow.sandbox import Limits, Sandbox
    from streamflow.testing import apply

    limits = Limits(wall_seconds=15, cpu_seconds=15)
    op = CodeSandboxSampleEvaluator(
        sandbox=Sandbox(limits, max_concurrent=concurrency), limits=limits
    )
    apply(op, [{"code": "pass"}], input_key="code")  # the probe run, not measured
    batch = [dict(zip(("code", "tests"), program(i), strict=True)) for i in range(rows)]
    cpu, start = cpu_seconds(), time.perf_counter()
    out = apply(op, batch, input_key="code", input_test_key="tests")
    wall, used = time.perf_counter() - start, cpu_seconds() - cpu
    assert {r["sandbox_status"] for r in out.batch.rows} == {"PASS"}, out.batch.rows[0]
    return {"rows_per_s": rows / wall, "cpu_ms_per_row": 1000 * used / rows}


def bench_window(
    rows: int, batch: int, in_flight: int, slow_every: int, slow_seconds: float, workers: int
) -> dict[str, float]:
    """The evaluator in a Pipeline (batches of ``batch``) where every ``slow_every``-th program
    sleeps ``slow_seconds``: rows/s, and how busy the sandbox's places were (the runs' own wall
    seconds over places x seconds). ``workers=1`` works on one batch at a time (as before
    issue 20's windowing); 0 leaves the default (windowed on the sandbox's places)."""
    import anyio

    from streamflow import FileStorage, Pipeline
    from streamflow.operators.code.sandbox_evaluator import CodeSandboxSampleEvaluator
    from streamflow.sandbox import Limits, Sandbox, SandboxResult

    class Timed(Sandbox):
        busy = 0.0

        async def run(self, code: str, **kwargs: object) -> SandboxResult:
            result = await super().run(code, **kwargs)  # type: ignore[arg-type]
            self.busy += result.wall_seconds
            return result

    limits = Limits(wall_seconds=15, cpu_seconds=15)
    sandbox = Timed(limits, max_concurrent=in_flight)
    op = CodeSandboxSampleEvaluator(sandbox=sandbox, limits=limits)
    if workers:
        op.options(workers=workers)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        with source.open("w") as f:
            for i in range(rows):
                code, tests = program(i)
                if slow_every and i % slow_every == 0:
                    code = f"import time\ntime.sleep({slow_seconds})\n{code}"
                f.write(json.dumps({"code": code, "tests": tests}) + "\n")

        class One(Pipeline):
            def __init__(self) -> None:
                self.storage = FileStorage(str(source), output_file=str(Path(tmp) / "out.jsonl"))
                self.op = op

            def forward(self) -> None:
                self.op.run(self.storage.step(), input_key="code", input_test_key="tests")

        anyio.run(sandbox.check)  # the probe run, not measured
        cpu, start = cpu_seconds(), time.perf_counter()
        One().run(batch_size=batch)
        wall, used = time.perf_counter() - start, cpu_seconds() - cpu
        out = [json.loads(line) for line in (Path(tmp) / "out.jsonl").open()]
    assert len(out) == rows and {r["sandbox_status"] for r in out} == {"PASS"}
    return {
        "rows_per_s": rows / wall,
        "seconds": wall,
        "place_busy_share": sandbox.busy / (in_flight * wall),
        "cpu_ms_per_row": 1000 * used / rows,
    }


def bench_pipeline(
    rows: int,
    latency: float,
    concurrency: int,
    sandbox_in_flight: int | None,
    llm_workers: int | None = None,
) -> dict[str, float]:
    from streamflow.pipelines.code_code_to_sft_data import CodeSFTSynthesisPipeline
    from streamflow.sandbox import Limits, Sandbox
    from streamflow.serving.openai_compat import OpenAIServing

    server = subprocess.Popen(
        [sys.executable, __file__, "serve", str(latency)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "code.jsonl"
            with source.open("w") as f:
                for i in range(rows):
                    f.write(json.dumps({"raw_code": program(i)[0]}) + "\n")
            serving = OpenAIServing(
                "b13", f"http://127.0.0.1:{port}/v1", max_concurrency=concurrency
            )
            sandbox = Sandbox(
                Limits(wall_seconds=15, cpu_seconds=15), max_concurrent=sandbox_in_flight
            )
            pipeline = CodeSFTSynthesisPipeline(
                serving, timeout_length=15, sandbox=sandbox, llm_workers=llm_workers
            )
            start = time.perf_counter()
            pipeline.run(input=source, output=Path(tmp) / "out.jsonl")
            wall = time.perf_counter() - start
            out = [json.loads(line) for line in (Path(tmp) / "out.jsonl").open()]
        assert len(out) == rows and {r["sandbox_status"] for r in out} == {"PASS"}
        bound = concurrency / (3 * latency)
        return {"rows_per_s": rows / wall, "llm_bound_rows_per_s": bound, "seconds": wall}
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        serve(float(sys.argv[2]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--in-flight", type=int, nargs="*", default=[1, 2, 4, 8])
    parser.add_argument("--pipeline-rows", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sandbox-in-flight", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--window-rows", type=int, default=0, help="the windowed pipeline run")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--window-in-flight", type=int, default=2)
    parser.add_argument("--slow-every", type=int, default=32, help="every Nth program is slow")
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1], help="0: default")
    parser.add_argument(
        "--llm-workers", type=int, default=0, help="pin the pipeline's LLM steps (0: windowed)"
    )
    args = parser.parse_args()
    print(json.dumps({"cores": os.cpu_count(), "load": os.getloadavg()[0]}))
    for w in args.workers if args.window_rows else ():
        result = bench_window(
            args.window_rows,
            args.batch_size,
            args.window_in_flight,
            args.slow_every,
            args.slow_seconds,
            w,
        )
        setting = {
            "batch_size": args.batch_size,
            "in_flight": args.window_in_flight,
            "slow_every": args.slow_every,
            "slow_seconds": args.slow_seconds,
            "workers": w or "default",
        }
        print(json.dumps({"bench": "evaluator_pipeline", **setting, **result}), flush=True)
    for c in args.in_flight:
        result = bench_evaluator(args.rows, c)
        print(json.dumps({"bench": "sandbox_evaluator", "in_flight": c, **result}), flush=True)
    for c in args.sandbox_in_flight if args.pipeline_rows else ():
        result = bench_pipeline(
            args.pipeline_rows, args.latency, args.concurrency, c, args.llm_workers or None
        )
        setting = {"latency": args.latency, "concurrency": args.concurrency, "sandbox_in_flight": c}
        print(json.dumps({"bench": "code_code_to_sft_data", **setting, **result}))


if __name__ == "__main__":
    main()
