"""B11 (text2sql): execution-filter queries/s on SQLite and PostgreSQL, and text2sql_gen rows/s
against a fixed-latency OpenAI-style server.

``exec``: the 38 Chinook questions of tests/databases (transpiled per engine by sqlglot),
repeated to ``--rows`` rows, through a Pipeline of one SQLExecutionFilter (each query run,
read-only, time-limited, capped) or SQLExecutabilityFilter (parse + EXPLAIN); PostgreSQL is a
throwaway server on a unix socket with Chinook loaded (streamflow.databases.scratch).
``--slow-every N`` makes every Nth query slow (PostgreSQL ``pg_sleep``, SQLite a long recursive
CTE), ``--workers 1`` runs the filter one batch at a time (as before issue 20's windowing), and
``connection_busy_share`` is the queries' own time over connections x seconds.

``gen``: text2sql_gen over ``--databases`` copies of the bookshop sample against a loopback
server (``python bench/b11_text2sql.py serve``) that holds every call ``--latency`` seconds, at
most ``--cap`` at once, and answers each prompt kind as a model would (a query, a tagged
question, a verdict, traces; ``n`` choices where asked), with a quarter of the generated
queries broken so the filters have work. Every output row costs five calls (generation,
question, judge, CoT, execution classifier), every dropped query one or more: the server's
call count and busy time give the ideal rows/s, ``cap / latency`` calls per second.

    python bench/b11_text2sql.py exec --rows 3800
    python bench/b11_text2sql.py exec --rows 3800 --filters exec --slow-every 256 [--workers 1]
    python bench/b11_text2sql.py gen --databases 32 --generate-num 8 --latency 0.05 --cap 32

Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's streamflow, not another installed one
CHINOOK = REPO.parent / "shared" / "data" / "sql" / "chinook.sqlite"


# -- exec: the execution filters -------------------------------------------------------------


def questions(dialect: str) -> list[str]:
    import sqlglot

    sys.path.insert(0, str(REPO / "tests" / "databases"))
    from chinook_queries import QUESTIONS

    return [
        sqlglot.transpile(q.sql, read="sqlite", write=dialect, identify=True)[0] for q in QUESTIONS
    ]


def slow_query(dialect: str, args: argparse.Namespace) -> str:
    """The slow item of ``--slow-every``: PostgreSQL sleeps on the server (a query waiting on a
    busy server or a lock); SQLite counts to ``--slow-steps`` in a recursive CTE (a long scan,
    on a core)."""
    if dialect == "postgres":
        return f"SELECT pg_sleep({args.slow_seconds})"
    steps = args.slow_steps
    return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {steps}) " \
        "SELECT count(*) FROM c"  # fmt: skip


def run_filter(
    name: str, target: str, dialect: str, work: Path, explain: bool, args: argparse.Namespace
) -> dict[str, Any]:
    from streamflow import FileStorage, Pipeline
    from streamflow.databases import DatabaseManager, QueryOutcome
    from streamflow.operators.text2sql import SQLExecutabilityFilter, SQLExecutionFilter

    rows, batch = args.rows, args.batch_size
    sqls = questions(dialect)
    slow = slow_query(dialect, args)
    src = work / f"{name}-in.jsonl"
    with src.open("w") as f:
        for i in range(rows):
            sql = slow if args.slow_every and i % args.slow_every == 0 else sqls[i % len(sqls)]
            f.write(json.dumps({"db_id": "chinook", "SQL": sql}) + "\n")

    class Timed(DatabaseManager):
        """Adds up the seconds queries held a connection (their own elapsed time)."""

        busy = 0.0

        async def aattempt(self, db_id: str, sql: str, **limits: Any) -> QueryOutcome:
            outcome = await super().aattempt(db_id, sql, **limits)
            self.busy += outcome.result.elapsed if outcome.result else 0.0
            return outcome

    manager = Timed(source={"chinook": target}, max_connections=args.connections)
    op = SQLExecutabilityFilter(manager) if explain else SQLExecutionFilter(manager)
    if args.workers:
        op.options(workers=args.workers)  # --workers 1: one batch at a time, as before issue 20

    class One(Pipeline):
        def __init__(self) -> None:
            self.storage = FileStorage(str(src), output_file=str(work / f"{name}-out.jsonl"))
            self.op = op

        def forward(self) -> None:
            self.op.run(self.storage.step(), input_sql_key="SQL", input_db_id_key="db_id")

    started = time.perf_counter()
    result = One().run(batch_size=batch)
    seconds = time.perf_counter() - started
    manager.close()
    line = {
        "bench": "B11-exec",
        "engine": name,
        "step": type(op).__name__,
        "rows": rows,
        "slow_every": args.slow_every,
        "workers": args.workers or "default",
        "connections": args.connections,
        "kept": result.rows_written,
        "seconds": round(seconds, 3),
        "queries_per_s": round(rows / seconds, 1),
        "connection_busy_share": None
        if explain
        else round(manager.busy / (args.connections * seconds), 3),
    }
    print(json.dumps(line), flush=True)
    return line


def exec_bench(args: argparse.Namespace) -> None:
    from streamflow.databases.loading import copy_sqlite_to_postgres
    from streamflow.databases.scratch import ScratchPostgres, postgres_available

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        local = work / "chinook.sqlite"
        shutil.copyfile(CHINOOK, local)
        explains = [f == "explain" for f in args.filters]
        if "sqlite" in args.engines:
            for explain in explains:
                run_filter("sqlite", str(local), "sqlite", work, explain, args)
        if "postgres" not in args.engines:
            return
        reason = postgres_available()
        if reason:
            print(f"# PostgreSQL skipped: {reason}", file=sys.stderr)
            return
        with ScratchPostgres() as pg:
            copy_sqlite_to_postgres(CHINOOK, pg.create_database("chinook"))
            url = pg.url("chinook", user=pg.create_reader())  # the recommended read-only role
            for explain in explains:
                run_filter("postgres", url, "postgres", work, explain, args)


# -- gen: the pipeline against a loopback server -----------------------------------------------

GOOD = [
    "SELECT title FROM book WHERE price > 20",
    "SELECT genre, COUNT(*) FROM book GROUP BY genre",
    "SELECT name FROM customer WHERE city = 'Dublin'",
]
BROKEN = "SELECT title FROM book WHERE shelf = 3"


def answer(prompt: str, k: int, calls: int) -> str:
    def fenced(sql: str) -> str:
        return f"Step by step.\n```sql\n{sql}\n```"

    if prompt.startswith("Write one new, executable"):
        return fenced(BROKEN if calls % 4 == 0 else GOOD[calls % 3])
    if prompt.startswith("Here is a"):
        return (
            "[EXPLANATION-START]It lists rows.[EXPLANATION-END]\n"
            f"[QUESTION-START]Which rows match, take {k}?[QUESTION-END]"
        )
    if prompt.startswith("Does the SQL query answer"):
        return "```\n<Conclusion> YES </Conclusion>\n```"
    hint = re.search(r"never mention it:\n```sql\n(.*?)\n```", prompt, re.S)
    if hint:
        return fenced(hint.group(1))
    return fenced(GOOD[k % 3])


def serve(latency: float, cap: int) -> None:
    from aiohttp import web

    slots = asyncio.Semaphore(cap)
    stats = {"calls": 0, "in_flight": 0, "peak_in_flight": 0, "busy_seconds": 0.0}

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        n = int(body.get("n") or 1)
        async with slots:
            stats["in_flight"] += 1
            stats["peak_in_flight"] = max(stats["peak_in_flight"], stats["in_flight"])
            started = time.monotonic()
            await asyncio.sleep(latency)
            stats["busy_seconds"] += time.monotonic() - started
            stats["in_flight"] -= 1
            stats["calls"] += 1
            calls = stats["calls"]
        choices = [
            {
                "index": k,
                "message": {"role": "assistant", "content": answer(prompt, k, calls)},
                "finish_reason": "stop",
            }
            for k in range(n)
        ]
        return web.json_response(
            {
                "id": "b11",
                "object": "chat.completion",
                "model": "b11",
                "choices": choices,
                "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 16 * n},
            }
        )

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "b11"}]})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        app.router.add_get("/v1/models", models)
        app.router.add_get("/stats", get_stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, backlog=4096).start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def in_process_serving(latency: float, cap: int) -> Any:
    """The server's behaviour without HTTP (``--in-process``): what the pipeline alone allows."""
    import anyio

    from streamflow.serving.base import Completion, LLMServing

    class FixedLatency(LLMServing):
        model = "b11"

        def __init__(self) -> None:
            super().__init__(max_in_flight=cap)
            self.stats = {"calls": 0, "peak_in_flight": 0, "busy_seconds": 0.0}

        async def _complete(self, messages: Any, json_schema: Any, params: Any) -> Completion:
            started = time.monotonic()
            await anyio.sleep(latency)
            self.stats["busy_seconds"] += time.monotonic() - started
            self.stats["calls"] += 1
            self.stats["peak_in_flight"] = max(self.stats["peak_in_flight"], self.in_flight)
            prompt = str(messages[-1]["content"])
            calls = self.stats["calls"]
            return Completion([answer(prompt, k, calls) for k in range(params.n)])

    return FixedLatency()


def run_gen(serving: Any, args: argparse.Namespace) -> tuple[Any, float]:
    from streamflow.databases import DatabaseManager
    from streamflow.pipelines.text2sql_gen import Text2SQLGenPipeline, sample_databases

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bookshop = sample_databases(work / "cache") / "bookshop" / "bookshop.sqlite"
        folder = work / "databases"
        for i in range(args.databases):
            (folder / f"bookshop_{i:03d}").mkdir(parents=True)
            shutil.copyfile(bookshop, folder / f"bookshop_{i:03d}" / f"bookshop_{i:03d}.sqlite")
        pipeline = Text2SQLGenPipeline(
            DatabaseManager(source=folder),
            llm_serving=serving,
            generate_num=args.generate_num,
            llm_workers=args.llm_workers or None,
        )
        started = time.perf_counter()
        result = pipeline.run(
            output=work / "out.jsonl", batch_size=args.batch_size, max_failed_fraction=1.0
        )
        for letter in list(result.dead_letters.records())[:3]:
            print("# dead letter:", letter.operator, letter.error[:300], file=sys.stderr)
        return result, time.perf_counter() - started


def gen_bench(args: argparse.Namespace) -> None:
    import urllib.request

    from streamflow.serving.openai_compat import OpenAIServing

    if args.in_process:
        serving = in_process_serving(args.latency, args.cap)
        result, seconds = run_gen(serving, args)
        stats = serving.stats
    else:
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "serve",
                *("--latency", str(args.latency), "--cap"),
                str(args.cap),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            root = f"http://127.0.0.1:{int(server.stdout.readline())}"
            serving = OpenAIServing("b11", f"{root}/v1", max_concurrency=args.cap, timeout=60)
            result, seconds = run_gen(serving, args)
            with urllib.request.urlopen(f"{root}/stats", timeout=10) as resp:
                stats = json.loads(resp.read())
        finally:
            server.terminate()
            server.wait(timeout=10)
    ideal_seconds = stats["calls"] * args.latency / args.cap
    rows = result.rows_written
    line = {
        "bench": "B11-gen",
        "server": "in-process" if args.in_process else "http",
        "databases": args.databases,
        "generate_num": args.generate_num,
        "latency": args.latency,
        "cap": args.cap,
        "batch_size": args.batch_size,
        "llm_workers": args.llm_workers,
        "generated": args.databases * args.generate_num,
        "rows": rows,
        "dropped": result.stats.dropped,
        "failed": result.stats.failed,
        "server_calls": stats["calls"],
        "server_peak": stats["peak_in_flight"],
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds, 2),
        "ideal_rows_per_s": round(rows / ideal_seconds, 2) if ideal_seconds else None,
        "of_ideal": round(ideal_seconds / seconds, 3) if ideal_seconds else None,
        "slot_utilisation": round(stats["busy_seconds"] / (args.cap * seconds), 3),
    }
    print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exec")
    ex.add_argument("--rows", type=int, default=3800)
    ex.add_argument("--batch-size", type=int, default=256)
    ex.add_argument("--connections", type=int, default=8, help="connections per database")
    ex.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    ex.add_argument("--filters", nargs="+", default=["exec", "explain"], help="exec, explain")
    ex.add_argument("--slow-every", type=int, default=0, help="every Nth query is slow")
    ex.add_argument("--slow-seconds", type=float, default=0.5, help="PostgreSQL: pg_sleep")
    ex.add_argument("--slow-steps", type=int, default=1_500_000, help="SQLite: CTE steps")
    ex.add_argument(
        "--workers", type=int, default=0, help="chosen workers (1: one batch at a time, unwindowed)"
    )
    gen = sub.add_parser("gen")
    srv = sub.add_parser("serve")
    for p in (gen, srv):
        p.add_argument("--latency", type=float, default=0.05, help="seconds per call")
        p.add_argument("--cap", type=int, default=32, help="calls served at once")
    gen.add_argument("--databases", type=int, default=32)
    gen.add_argument("--generate-num", type=int, default=8)
    gen.add_argument("--batch-size", type=int, default=8)
    gen.add_argument("--in-process", action="store_true", help="a fake serving, no HTTP")
    gen.add_argument(
        "--llm-workers",
        type=int,
        default=0,
        help="pin the LLM steps' workers (0: windowed, the pipelines' default)",
    )
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.latency, args.cap)
    elif args.command == "exec":
        exec_bench(args)
    else:
        gen_bench(args)


if __name__ == "__main__":
    main()
