"""B10: B1's ten-refiner chain on the Ray executor, against the local executor and the plain
loop, on this machine's cores; and the driver's ceiling, which bounds a cluster.

``chain``: the B1 chain (bench/chain.py) over ``N`` rows, three ways: the plain loop, the local
executor, the Ray executor on a private local cluster of ``--cpus`` CPUs (start-up, i.e. the
cluster and the workers coming up, timed apart from the run). The chain is cheap stateless
steps over a JSONL file, so Ray runs it on input shards read by the workers (``shards``: how
many); ``--no-shards`` forces the older path (the driver reads, ships and writes every row).
CPU per row is split into the driver's (its start-up excluded) and the workers'.
``ceiling``: one identity refiner on the Ray executor: what one driver moves when the workers
cost nothing, rows/s and bytes/row both ways (on shards unless ``--no-shards``). Prints one
JSON line per run.

    python bench/b10_ray.py chain IN.jsonl [--cpus 2] [--batch-size 1000] [--per-worker 2]
        [--only plain|local|ray] [--no-shards] [--shard-bytes N]
    python bench/b10_ray.py ceiling IN.jsonl [--cpus 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's streamflow
sys.path.insert(0, str(REPO / "bench"))

import msgspec  # noqa: E402
from chain import BATCH_SIZE, INPUT_KEY, REFINERS  # noqa: E402

import streamflow.operators.general_text as general_text  # noqa: E402
from streamflow import FileStorage, Pipeline, Refiner  # noqa: E402
from streamflow.rows import Row  # noqa: E402


class Identity(Refiner):
    """Changes nothing: the workers cost nothing, so the driver's own cost is all there is."""

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        return rows


class Chain(Pipeline):
    def __init__(self, src: Path, dst: Path, names: tuple[str, ...]) -> None:
        self.storage = FileStorage(src, output_file=dst)
        self.ops = [
            Identity() if name == "Identity" else getattr(general_text, name)() for name in names
        ]

    def forward(self) -> None:
        for op in self.ops:
            op.run(self.storage.step(), input_key=INPUT_KEY)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_plain(src: Path, dst: Path, batch_size: int) -> dict[str, Any]:
    from plain_loop import run

    start, cpu = time.perf_counter(), cpu_seconds()
    rows = run(src, dst, batch_size)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return {
        "impl": "plain_loop",
        "rows": rows,
        "seconds": seconds,
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_s": round(rows / cpu, 1),
    }


def run_pipeline(
    src: Path, dst: Path, names: tuple[str, ...], batch_size: int, executor: Any
) -> dict[str, Any]:
    start, cpu = time.perf_counter(), cpu_seconds()
    result = Chain(src, dst, names).run(batch_size=batch_size, executor=executor)
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {
        "rows": result.rows_written,
        "seconds": seconds,
        "driver_cpu_seconds": round(cpu_seconds() - cpu, 2),
    }
    driver_cpu = cpu_seconds() - cpu
    workers_cpu = getattr(executor, "worker_cpu_seconds", 0.0)
    out["cpu_seconds"] = round(driver_cpu + workers_cpu, 2)
    out["rows_per_cpu_s"] = round(result.rows_written / (driver_cpu + workers_cpu), 1)
    startup = getattr(executor, "startup_seconds", None)
    if startup is not None:
        rows = result.rows_written
        run_driver_cpu = executor.run_cpu_seconds  # not the plan's compiling, nor the shutdown
        out["worker_cpu_seconds"] = round(workers_cpu, 2)
        out["startup_seconds"] = round(startup, 2)
        out["startup_driver_cpu_seconds"] = round(executor.startup_cpu_seconds, 2)
        out["run_driver_cpu_seconds"] = round(run_driver_cpu, 2)
        out["run_seconds"] = round(executor.run_seconds, 3)
        out["teardown_seconds"] = round(seconds - startup - executor.run_seconds, 2)
        out["run_rows_per_s"] = round(rows / executor.run_seconds, 1)
        out["shards"] = executor.shard_count
        out["driver_us_per_row"] = round(run_driver_cpu / rows * 1e6, 2)
        out["workers_us_per_row"] = round(workers_cpu / rows * 1e6, 2)
        out["run_rows_per_cpu_s"] = round(rows / (run_driver_cpu + workers_cpu), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["chain", "ceiling"])
    parser.add_argument("src", type=Path)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--only", choices=["plain", "local", "ray"], default=None)
    parser.add_argument(
        "--per-worker", type=int, default=2, help="batches queued per CPU worker (PoolSizes)"
    )
    parser.add_argument(
        "--no-shards", action="store_true", help="the driver reads and writes every row"
    )
    parser.add_argument("--shard-bytes", type=int, default=None, help="PoolSizes.shard_bytes")
    args = parser.parse_args()
    from streamflow.executors import LocalExecutor
    from streamflow.executors.ray import PoolSizes, RayExecutor

    sizes = PoolSizes(
        batches_per_cpu_worker=args.per_worker,
        shards=not args.no_shards,
        shard_bytes=args.shard_bytes,
    )

    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "out.jsonl"
        runs: list[dict[str, Any]] = []
        if args.what == "chain":
            if args.only in (None, "plain"):
                runs.append(run_plain(args.src, dst, args.batch_size))
            if args.only in (None, "local"):
                local = run_pipeline(args.src, dst, REFINERS, args.batch_size, LocalExecutor())
                runs.append({"impl": "local", **local})
            if args.only in (None, "ray"):
                ray = RayExecutor(num_cpus=args.cpus, sizes=sizes)
                runs.append(
                    {"impl": "ray", **run_pipeline(args.src, dst, REFINERS, args.batch_size, ray)}
                )
        else:
            ray = RayExecutor(num_cpus=args.cpus, sizes=sizes)
            out = run_pipeline(args.src, dst, ("Identity",), args.batch_size, ray)
            sample = args.src.read_bytes()[: 1 << 20].splitlines()[:1000]
            rows = [msgspec.json.decode(line) for line in sample]
            import pickle

            pickled = len(pickle.dumps(rows, protocol=5)) / len(rows)
            runs.append({"impl": "ray_ceiling", **out, "pickled_bytes_per_row": round(pickled)})
        for run in runs:
            run["rows_per_s"] = round(run["rows"] / run["seconds"], 1)
            run["seconds"] = round(run["seconds"], 3)
            head = {"bench": "B10", "what": args.what, "cpus": args.cpus}
            if run["impl"].startswith("ray"):
                head["per_worker"] = args.per_worker
                head["shards_allowed"] = not args.no_shards
            print(json.dumps({**head, **run}))


if __name__ == "__main__":
    main()
