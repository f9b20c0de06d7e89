"""B6 (stage overlap): three LLM operators in a row against a server of latency L and cap C.

Each row needs three sequential calls of L seconds, and the server serves at most C calls at
once, so no client can exceed C / (3 L) rows/s; a client reaches it only if it keeps all C
slots busy across the three operators. streamflow runs the operators as concurrent actors on
one ``OpenAIServing`` (``max_concurrency=C``); open-dataflow (``b6_dataflow.py``, in its own
venv) runs them one after the other, each with ``APILLMServing_request(max_workers=C)``.

The server is a separate process (``python bench/b6_overlap.py serve ...``): an OpenAI-style
``/v1/chat/completions`` that holds each call L seconds, at most C at a time, and reports the
calls it served and how busy its C slots were (``/stats``). With ``--lognormal`` a call is held
for a long-tailed time instead, the way real APIs answer: lognormal with mean L and p99/p50 = 10
(sigma = ln 10 / 2.326), drawn from a generator seeded with ``--seed`` in the order calls
arrive, reseeded at each ``/stats/reset`` so every client gets the same draws.

    python bench/b6_overlap.py --rows 2000 --latency 0.1 --cap 32 [--batch-size 256]
        [--lognormal] [--seed 0] [--no-hedging]
        [--dataflow-python /work/bench-venvs/dataflow/bin/python]

``OpenAIServing`` hedges by default (:mod:`streamflow.serving.hedging`): a request that
straggles while a place is idle is sent again, the first answer wins; ``hedged`` counts them
(the server counts both copies in its calls and busy time). ``--no-hedging`` turns it off.

"first row" is the time from the start of the run to the first row in the output file
(open-dataflow writes its output whole, after its last step).

Prints one JSON line per implementation, then a summary on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams

OPS = 3
READS, WRITES = ("text", "a", "b"), ("a", "b", "c")
DATAFLOW_PYTHON = "/work/bench-venvs/dataflow/bin/python"
SIGMA = math.log(10) / 2.3263  # lognormal: p99 / p50 = exp(2.326 sigma) = 10


def latency_draws(latency: float, lognormal: bool, seed: int) -> Callable[[], float]:
    """Seconds per call, in call order: fixed, or lognormal with mean ``latency``."""
    if not lognormal:
        return lambda: latency
    rng = random.Random(seed)
    mu = math.log(latency) - SIGMA**2 / 2  # mean exp(mu + sigma^2 / 2) = latency
    return lambda: rng.lognormvariate(mu, SIGMA)


# -- the server ------------------------------------------------------------------------------


def serve(latency: float, cap: int, lognormal: bool = False, seed: int = 0) -> None:
    from aiohttp import web

    slots = asyncio.Semaphore(cap)
    stats = {"calls": 0, "in_flight": 0, "peak_in_flight": 0, "busy_seconds": 0.0}
    draw = [latency_draws(latency, lognormal, seed)]

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        async with slots:
            stats["in_flight"] += 1
            stats["peak_in_flight"] = max(stats["peak_in_flight"], stats["in_flight"])
            started = time.monotonic()
            await asyncio.sleep(draw[0]())
            stats["busy_seconds"] += time.monotonic() - started
            stats["in_flight"] -= 1
            stats["calls"] += 1
        answer = f"step answer to a prompt of {len(prompt)} characters"
        return web.json_response(
            {
                "id": "b6",
                "object": "chat.completion",
                "model": "b6",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 8},
            }
        )

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "b6"}]})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(request: web.Request) -> web.Response:
        stats.update(calls=0, peak_in_flight=0, busy_seconds=0.0)
        draw[0] = latency_draws(latency, lognormal, seed)
        return web.json_response(stats)

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


# -- the streamflow side ---------------------------------------------------------------------


def run_streamflow(
    src: Path, dst: Path, serving: LLMServing, batch_size: int, workers: int | None = None
) -> dict:
    from streamflow import FileStorage, Pipeline
    from streamflow.operators.core_text import PromptedGenerator

    class ThreeCalls(Pipeline):
        def __init__(self) -> None:
            self.storage = FileStorage(src, output_file=dst)
            self.ops = [PromptedGenerator(serving, user_prompt=f"step {i}: ") for i in range(OPS)]
            for op in self.ops if workers else ():
                op.options(workers=workers)

        def forward(self) -> None:
            for op, read, write in zip(self.ops, READS, WRITES, strict=True):
                op.run(self.storage.step(), input_key=read, output_key=write)

    pipeline = ThreeCalls()
    dst.unlink(missing_ok=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    first_row = first_row_watch(dst, started)
    result = pipeline.run(batch_size=batch_size, ordered=not os.environ.get("B6_UNORDERED"))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "impl": "streamflow" if not workers else f"streamflow-workers-{workers}",
        "workers": workers,
        "rows": result.rows_written,
        "failed": result.stats.failed,
        "seconds": seconds,
        "first_row_s": round(first_row[0], 2) if first_row else None,
        "cpu_seconds": round(cpu, 2),
        "hedged": sum(s.hedged for s in result.stats.steps),
    }


def first_row_watch(path: Path, started: float) -> list[float]:
    """Seconds from ``started`` until ``path`` holds a row (polled every 20 ms in a thread)."""
    found: list[float] = []

    def watch() -> None:
        while time.perf_counter() - started < 3600:
            if path.exists() and path.stat().st_size > 0:
                found.append(time.perf_counter() - started)
                return
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    return found


def fixed_latency_serving(latency: float, cap: int, lognormal: bool, seed: int) -> LLMServing:
    """The server's behaviour without HTTP: what the pipeline's structure alone allows."""
    import anyio

    draw = latency_draws(latency, lognormal, seed)

    from streamflow.serving.base import Completion, LLMServing

    class FixedLatency(LLMServing):
        model = "b6"
        busy_seconds = 0.0

        async def _complete(
            self,
            messages: list[Message],
            json_schema: dict[str, Any] | None,
            params: SamplingParams,
        ) -> Completion:
            started = time.monotonic()
            await anyio.sleep(draw())
            self.busy_seconds += time.monotonic() - started
            return Completion(["step answer"])

    return FixedLatency(max_in_flight=cap)


def run_dataflow(python: str, src: Path, work: Path, base_url: str, cap: int) -> dict:
    script = Path(__file__).with_name("b6_dataflow.py")
    proc = subprocess.run(
        [python, str(script), str(src), str(work / "dataflow_cache"), base_url, str(cap)],
        capture_output=True,
        text=True,
        env={**os.environ, "B6_API_KEY": "unused"},
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{"impl"')]
    if proc.returncode != 0 or not lines:
        sys.exit(f"b6_dataflow.py failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


# -- the driver ------------------------------------------------------------------------------


def http(method: str, url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as resp:
        return json.loads(resp.read())


def measured(result: dict, args: argparse.Namespace, ideal: float, busy: float) -> dict:
    rows_per_s = result["rows"] / result["seconds"]
    result.update(
        bench="B6",
        latency=args.latency,
        lognormal=args.lognormal,
        cap=args.cap,
        batch_size=args.batch_size,
        seconds=round(result["seconds"], 3),
        rows_per_s=round(rows_per_s, 1),
        ideal_rows_per_s=round(ideal, 1),
        of_ideal=round(rows_per_s / ideal, 3),
        slot_utilisation=round(busy / (args.cap * result["seconds"]), 3),
    )
    print(json.dumps(result), flush=True)
    return result


def run_in_process(args: argparse.Namespace, src: Path, work: Path, ideal: float) -> dict:
    serving = fixed_latency_serving(args.latency, args.cap, args.lognormal, args.seed)
    result = run_streamflow(src, work / "out.jsonl", serving, args.batch_size, args.workers)
    result["impl"] = "streamflow-in-process"
    return measured(result, args, ideal, serving.busy_seconds)  # type: ignore[attr-defined]


def run_against_server(args: argparse.Namespace, src: Path, work: Path, ideal: float) -> list[dict]:
    from streamflow.serving.hedging import DEFAULT_HEDGING
    from streamflow.serving.openai_compat import OpenAIServing

    server = subprocess.Popen(
        [sys.executable, __file__, "serve", "--latency", str(args.latency), "--cap", str(args.cap)]
        + ["--seed", str(args.seed)]
        + (["--lognormal"] if args.lognormal else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        root = f"http://127.0.0.1:{int(server.stdout.readline())}"
        hedging = None if args.no_hedging else DEFAULT_HEDGING
        serving = OpenAIServing(
            "b6", f"{root}/v1", max_concurrency=args.cap, timeout=60, hedging=hedging
        )
        runs = [
            lambda w=w: run_streamflow(src, work / "out.jsonl", serving, args.batch_size, w)
            for w in [args.workers, *args.compare_workers]
        ]
        if not args.skip_dataflow and Path(args.dataflow_python).exists():
            runs.append(
                lambda: run_dataflow(args.dataflow_python, src, work, f"{root}/v1", args.cap)
            )
        results = []
        for run in runs:
            http("POST", f"{root}/stats/reset")
            result = run()
            stats = http("GET", f"{root}/stats")
            result.update(server_calls=stats["calls"], server_peak=stats["peak_in_flight"])
            results.append(measured(result, args, ideal, stats["busy_seconds"]))
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    server_args = sub.add_parser("serve")
    for p in (parser, server_args):
        p.add_argument("--latency", type=float, default=0.1, help="seconds per call (L)")
        p.add_argument("--cap", type=int, default=32, help="calls served at once (C)")
        p.add_argument("--lognormal", action="store_true", help="long-tailed latency, mean L")
        p.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--dataflow-python", default=DATAFLOW_PYTHON)
    parser.add_argument("--skip-dataflow", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=None, help="streamflow: set the LLM steps' workers"
    )
    parser.add_argument(
        "--compare-workers",
        type=int,
        nargs="*",
        default=[],
        help="also run streamflow with the LLM steps' workers set to each of these (1: the "
        "behaviour before issue 20's windows)",
    )
    parser.add_argument(
        "--no-hedging",
        action="store_true",
        help="streamflow: send no copies of straggling requests (OpenAIServing(hedging=None))",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="streamflow only, on a fixed-latency fake serving instead of the HTTP server",
    )
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.latency, args.cap, args.lognormal, args.seed)
        return

    ideal = args.cap / (OPS * args.latency)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = work / "in.jsonl"
        with src.open("w") as f:
            for i in range(args.rows):
                f.write(json.dumps({"text": f"row {i}: a short document to process"}) + "\n")
        if args.in_process:
            results = [run_in_process(args, src, work, ideal)]
        else:
            results = run_against_server(args, src, work, ideal)
    by_impl = {r["impl"]: r for r in results}
    sf = results[0]
    print(
        f"# L={args.latency}s C={args.cap}: ideal C/(3L) = {ideal:.1f} rows/s; {sf['impl']} "
        f"{sf['rows_per_s']} rows/s = {sf['of_ideal']:.2f} of ideal (target >= 0.95), "
        f"first row {sf.get('first_row_s')} s",
        file=sys.stderr,
    )
    if "open-dataflow" in by_impl:
        df = by_impl["open-dataflow"]
        print(
            f"# open-dataflow {df['rows_per_s']} rows/s = {df['of_ideal']:.2f} of ideal; "
            f"streamflow / open-dataflow = {sf['rows_per_s'] / df['rows_per_s']:.2f}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
