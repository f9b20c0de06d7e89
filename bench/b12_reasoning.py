"""B12: reasoning_math against a server with long-tailed latency, streamflow vs open-dataflow.

The server (``python bench/b12_reasoning.py serve ...``, its own process) is an OpenAI-style
``/v1/chat/completions`` whose latency is lognormal: median ``--median`` seconds, sigma
``ln(10) / 2.326`` so that p99 / p50 = 10, as real APIs' tails are; it serves at most ``--cap``
calls at once. Each call's latency is drawn from a generator seeded by the prompt, so a run is
repeatable. It replies to every prompt of the reasoning_math pipeline, in streamflow's wording
and in DataFlow's: judges pass everything, difficulty 3, category Arithmetic, new questions are
the seed with its numbers changed, and solutions box the right sum for "What is A + B?" problems.

- streamflow: ``ReasoningMathPipeline`` on one ``OpenAIServing(max_concurrency=C)``, FileStorage
  in and out, no run directory.
- open-dataflow (``bench/b12_dataflow.py``, in its own venv): DataFlow's
  ``ReasoningMath_APIPipeline`` (the same eleven steps) on ``APILLMServing_request(max_workers=C)``.

Both count rows/s as input rows per wall-clock second of the pipeline (imports and interpreter
start excluded) and the time to the first output row: for streamflow, the moment the sink takes
its first row (a run monitor polls the sink's count); for open-dataflow, the moment its last
step's file appears (it writes each step's output once the step is done).

    python bench/b12_reasoning.py --rows 200 --median 0.2 --cap 32 \
        [--dataflow-python /tmp/dfvenv/bin/python] [--batch-size 16]

Prints one JSON line per implementation, then a summary on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATAFLOW_PYTHON = "/tmp/dfvenv/bin/python"
SIGMA = math.log(10) / 2.326
"""p99 / p50 = exp(2.326 sigma) = 10."""
_SUM = re.compile(r"What is (\d+) \+ (\d+)\?")


def reply(prompt: str) -> str:
    """A plausible answer to every prompt of the pipeline (streamflow's or DataFlow's wording)."""
    if "judgement_test" in prompt:
        return 'Looks fine.\n{"judgement_test": true, "error_type": null}'
    if "primary_category" in prompt:
        return json.dumps(
            {
                "primary_category": "Arithmetic",
                "secondary_category": "Basic Arithmetic and Number Operations",
            }
        )
    if "Rating:" in prompt:
        return "## Summarization\nAdding two numbers.\n## Difficulty\nRating: 3\nReason: easy."
    if "new math problem" in prompt.lower() or "problem from the original problem" in prompt:
        found = _SUM.search(prompt)
        a, b = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        return f"Kim has some marbles. What is {a + 7} + {b}? Explain your count."
    found = _SUM.search(prompt)
    if found:
        a, b = int(found.group(1)), int(found.group(2))
        return (
            f"Solution:\n→ We add the two numbers {a} and {b}.\n→ {a} + {b} = {a + b}, "
            f"checked by counting on from {a}.\n\\boxed{{{a + b}}}"
        )
    return "Solution:\n→ Not a sum.\n\\boxed{0}"


def serve(median: float, cap: int) -> None:
    from aiohttp import web

    slots = asyncio.Semaphore(cap)
    stats: dict[str, Any] = {"calls": 0, "in_flight": 0, "peak_in_flight": 0, "latencies": []}

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        n = int(body.get("n", 1))
        seed = int.from_bytes(hashlib.blake2b(prompt.encode(), digest_size=8).digest(), "big")
        latency = median * math.exp(SIGMA * random.Random(seed).gauss(0, 1))
        async with slots:
            stats["in_flight"] += 1
            stats["peak_in_flight"] = max(stats["peak_in_flight"], stats["in_flight"])
            await asyncio.sleep(latency)
            stats["in_flight"] -= 1
            stats["calls"] += 1
            stats["latencies"].append(latency)
        text = reply(prompt)
        choices = [
            {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            for i in range(n)
        ]
        usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4 * n}
        return web.json_response({"id": "b12", "model": "b12", "choices": choices, "usage": usage})

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "b12"}]})

    async def get_stats(request: web.Request) -> web.Response:
        lat = sorted(stats["latencies"])
        pct = {
            f"p{q}": round(lat[min(len(lat) - 1, int(q / 100 * len(lat)))], 3) if lat else 0
            for q in (50, 90, 99)
        }
        return web.json_response({**{k: v for k, v in stats.items() if k != "latencies"}, **pct})

    async def reset(request: web.Request) -> web.Response:
        stats.update(calls=0, peak_in_flight=0, latencies=[])
        return web.json_response({})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        app.router.add_get("/v1/models", models)
        app.router.add_get("/stats", get_stats)
        app.router.add_post("/stats/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, backlog=4096).start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def write_rows(path: Path, rows: int) -> None:
    rng = random.Random(12)
    with path.open("w") as f:
        for i in range(rows):
            a, b = rng.randint(10, 999), rng.randint(10, 999)
            question = f"Problem {i}: a shop had some pencils. What is {a} + {b}?"
            f.write(json.dumps({"instruction": question, "golden_answer": str(a + b)}) + "\n")


def run_streamflow(
    src: Path,
    dst: Path,
    base_url: str,
    cap: int,
    batch_size: int,
    ordered: bool,
    workers: int | None,
) -> dict:
    import anyio

    from streamflow.channels.stats import RunStats
    from streamflow.pipelines.reasoning_math import SAMPLING, ReasoningMathPipeline
    from streamflow.serving.openai_compat import OpenAIServing

    serving = OpenAIServing("b12", base_url, max_concurrency=cap, timeout=120, params=SAMPLING)
    pipeline = ReasoningMathPipeline(serving, llm_workers=workers)
    first_row: list[float] = []

    async def watch(stats: RunStats) -> None:
        """The moment the sink has taken its first row (the file itself is buffered)."""
        while not stats.sink.rows_out:
            await anyio.sleep(0.005)
        first_row.append(time.perf_counter() - started)

    started, cpu_started = time.perf_counter(), time.process_time()
    result = pipeline.run(
        input=src, output=dst, batch_size=batch_size, ordered=ordered, monitor=watch
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "impl": "streamflow",
        "ordered": ordered,
        "llm_workers": workers,
        "rows_out": result.rows_written,
        "failed": result.stats.failed,
        "seconds": seconds,
        "first_row_seconds": first_row[0] if first_row else None,
        "cpu_seconds": round(cpu, 2),
    }


def run_dataflow(python: str, src: Path, work: Path, base_url: str, cap: int) -> dict:
    from streamflow.models import prepare_default_model

    script = Path(__file__).with_name("b12_dataflow.py")
    proc = subprocess.run(
        [python, str(script), str(src), str(work / "df_cache"), base_url, str(cap),
         str(prepare_default_model())],
        capture_output=True,
        text=True,
        env={**os.environ, "DF_API_KEY": "unused"},
        check=False,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{"impl"')]
    if proc.returncode != 0 or not lines:
        sys.exit(f"b12_dataflow.py failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def http(method: str, url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as resp:
        return json.loads(resp.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    server_args = sub.add_parser("serve")
    for p in (parser, server_args):
        p.add_argument("--median", type=float, default=0.2, help="median latency, seconds")
        p.add_argument("--cap", type=int, default=32, help="calls served at once (C)")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="batches per LLM step at once (default: each stage's window, from the serving)",
    )
    parser.add_argument("--unordered", action="store_true", help="streamflow: completion order")
    parser.add_argument("--dataflow-python", default=DATAFLOW_PYTHON)
    parser.add_argument("--skip-dataflow", action="store_true")
    parser.add_argument("--skip-streamflow", action="store_true")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.median, args.cap)
        return

    server = subprocess.Popen(
        [sys.executable, __file__, "serve", "--median", str(args.median), "--cap", str(args.cap)],
        stdout=subprocess.PIPE,
        text=True,
    )
    results = []
    try:
        assert server.stdout is not None
        root = f"http://127.0.0.1:{int(server.stdout.readline())}"
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            src = work / "in.jsonl"
            write_rows(src, args.rows)
            runs = []
            if not args.skip_streamflow:
                runs.append(
                    lambda: run_streamflow(
                        src,
                        work / "out.jsonl",
                        f"{root}/v1",
                        args.cap,
                        args.batch_size,
                        not args.unordered,
                        args.workers,
                    )
                )
            if not args.skip_dataflow and Path(args.dataflow_python).exists():
                runs.append(
                    lambda: run_dataflow(args.dataflow_python, src, work, f"{root}/v1", args.cap)
                )
            for run in runs:
                http("POST", f"{root}/stats/reset")
                result = run()
                stats = http("GET", f"{root}/stats")
                result.update(
                    bench="B12",
                    rows=args.rows,
                    median=args.median,
                    cap=args.cap,
                    batch_size=args.batch_size,
                    rows_per_s=round(args.rows / result["seconds"], 2),
                    seconds=round(result["seconds"], 2),
                    first_row_seconds=(
                        None
                        if result["first_row_seconds"] is None
                        else round(result["first_row_seconds"], 2)
                    ),
                    server_calls=stats["calls"],
                    server_peak=stats["peak_in_flight"],
                    latency_p50=stats["p50"],
                    latency_p99=stats["p99"],
                )
                print(json.dumps(result), flush=True)
                results.append(result)
    finally:
        server.terminate()
        server.wait(timeout=10)
    by = {r["impl"]: r for r in results}
    if "streamflow" in by and "open-dataflow" in by:
        sf, df = by["streamflow"], by["open-dataflow"]
        print(
            f"# rows/s streamflow {sf['rows_per_s']} / open-dataflow {df['rows_per_s']} = "
            f"{sf['rows_per_s'] / df['rows_per_s']:.2f} (goal >= 1.3); first row "
            f"{sf['first_row_seconds']} s / {df['first_row_seconds']} s = "
            f"{sf['first_row_seconds'] / df['first_row_seconds']:.3f} (goal <= 0.05)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
