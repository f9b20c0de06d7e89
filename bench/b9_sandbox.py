"""B9: the sandbox's cost: latency of one run and runs per second, against plain subprocesses.

Three ways to run the trivial program ``pass`` with this interpreter (``python -s``):

- ``plain``: ``python -s -c pass`` as a plain subprocess (``anyio.run_process``): the floor;
- ``isolation only``: bwrap + tini + setpriv + prlimit around ``/bin/true`` (no Python), which is
  what the isolation itself costs to start and tear down;
- ``sandbox``: ``await Sandbox().run("pass")``: work directory, namespaces, privilege drop,
  rlimits, supervision, clean-up.

Latency: ``--runs`` sequential runs of each, median and best. Throughput: ``--runs`` runs with
``c`` of them in flight at once, for each ``c`` of ``--concurrency``; runs per second and CPU
seconds per run (this process and its children, user + system: far less sensitive to other load
than wall time). One JSON line per measurement, then a Markdown table.

    .venv/bin/python bench/b9_sandbox.py [--runs 40] [--concurrency 1 2 4 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from streamflow.sandbox import Sandbox
from streamflow.sandbox.isolation import command_for

Runner = Callable[[], Awaitable[None]]


def cpu_now() -> float:
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_.ru_utime + self_.ru_stime + children.ru_utime + children.ru_stime


def runners(sandbox: Sandbox, workdir: str) -> dict[str, Runner]:
    python = sandbox.python

    async def plain() -> None:
        await anyio.run_process([python, "-s", "-c", "pass"])

    # The sandbox's own command line for /bin/true: the same mounts, uid and limits.
    isolation_argv = command_for(
        sandbox.isolation,
        sandbox._tools,
        python=python,
        python_args=["-c", "pass"],
        workdir=workdir,
        limits=sandbox.limits,
        uid=2_000_999_999 if os.geteuid() == 0 else None,
        env={},
        readable=(),
    ).argv
    bare = [*isolation_argv[: isolation_argv.index(python)], "/bin/true"]

    async def isolation_only() -> None:
        await anyio.run_process(bare)

    async def sandboxed() -> None:
        result = await sandbox.run("pass")
        if not result.ok:
            raise RuntimeError(f"sandboxed run failed: {result}")

    return {"plain": plain, "isolation only": isolation_only, "sandbox": sandboxed}


async def latency(run: Runner, runs: int) -> dict[str, float]:
    await run()  # warm up (the sandbox's probe, page cache)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return {"median_ms": statistics.median(times) * 1e3, "best_ms": min(times) * 1e3}


async def throughput(run: Runner, runs: int, concurrency: int) -> dict[str, float]:
    limiter = anyio.Semaphore(concurrency)

    async def one() -> None:
        async with limiter:
            await run()

    cpu0, start = cpu_now(), time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(runs):
            tg.start_soon(one)
    wall, cpu = time.perf_counter() - start, cpu_now() - cpu0
    return {"runs_per_s": runs / wall, "cpu_ms_per_run": cpu / runs * 1e3}


async def main(args: argparse.Namespace) -> None:
    rows = []
    workdir = tempfile.mkdtemp(prefix="b9-")  # an empty work directory for "isolation only"
    try:
        for concurrency in args.concurrency:
            sandbox = Sandbox(max_concurrent=concurrency)
            for name, run in runners(sandbox, workdir).items():
                row: dict[str, Any] = {"bench": "b9", "how": name, "concurrency": concurrency}
                if concurrency == args.concurrency[0]:
                    row.update(await latency(run, args.runs))
                row.update(await throughput(run, args.runs, concurrency))
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        shutil.rmtree(workdir)
    python = sys.version.split()[0]
    print(f"\nisolation: {Sandbox().isolation}, {os.cpu_count()} cores, python {python}")
    print("\n| how | concurrency | latency median | best | runs/s | CPU per run |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        lat = f"{row['median_ms']:.0f} ms" if "median_ms" in row else ""
        best = f"{row['best_ms']:.0f} ms" if "best_ms" in row else ""
        print(
            f"| {row['how']} | {row['concurrency']} | {lat} | {best} | "
            f"{row['runs_per_s']:.1f} | {row['cpu_ms_per_run']:.0f} ms |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    anyio.run(main, parser.parse_args())
