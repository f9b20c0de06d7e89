"""RayExecutor: connect to (or start) a Ray cluster, start the pools, run the protocol."""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

import anyio.to_thread

from streamflow.executors.base import Executor, Job, Monitor, RunOptions, RunResult
from streamflow.executors.local import LocalExecutor
from streamflow.executors.ray.pools import PoolSizes, WorkerPools
from streamflow.executors.ray.shards import ShardPool, shard_prefix, shardable
from streamflow.extras import require
from streamflow.plan import Plan


class RayExecutor(Executor):
    """Runs a plan's stateless steps in Ray actor pools; the driver keeps the protocol. A plan
    of cheap rule steps only, over plain JSON-lines input, runs on input shards that the
    workers read themselves (:mod:`.shards`; ``PoolSizes(shards=False)`` turns them off).

    ``address`` names a running cluster (``ray start --head`` prints it; ``auto`` finds the
    local one; None with ``RAY_ADDRESS`` unset starts a private local cluster of ``num_cpus``
    CPUs for this run, shut down after it). A process that already called ``ray.init()``
    keeps its connection. ``sizes`` sets the pools (:class:`PoolSizes`).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        sizes: PoolSizes | None = None,
        runtime_env: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.sizes = sizes or PoolSizes()
        self.runtime_env = runtime_env
        self.startup_seconds = 0.0
        """How long the last run took to connect and start every worker, before any row."""
        self.startup_cpu_seconds = 0.0
        """CPU seconds this (the driver's) process spent on that start-up."""
        self.run_seconds = 0.0
        """How long the last run took from its first row to its last commit (no start-up, no
        shutting down)."""
        self.run_cpu_seconds = 0.0
        """CPU seconds this (the driver's) process spent in that time (Ray's threads in it
        included)."""
        self.worker_cpu_seconds = 0.0
        """CPU seconds the last run's workers used (after their start-up)."""
        self.shard_count = 0
        """Shards the last run's input was cut into (0: it did not run on shards)."""
        self.pools: WorkerPools | ShardPool | None = None
        """The running pools, or shard workers (while a run is under way)."""
        self.stage_pools: WorkerPools | None = None
        """The last run's pools for the steps after those on shards, if any."""

    async def execute(
        self, plan: Plan, job: Job, options: RunOptions, *, monitor: Monitor | None = None
    ) -> RunResult:
        ray = require("ray", "ray", for_="the Ray executor")
        started, cpu = time.perf_counter(), time.process_time()
        connected = await anyio.to_thread.run_sync(self._connect, ray)
        try:
            pools: WorkerPools | ShardPool
            k = shard_prefix(plan, job) if self.sizes.shards else 0
            shards: ShardPool | None = None
            stages: WorkerPools | None = None
            if k and shardable(plan, job):  # every step on shards, the rows come back encoded
                pools = shards = ShardPool(ray, plan, self.sizes, k)
                local = LocalExecutor(stream=shards.stream)
            elif k:  # the first k steps on shards, the rest as below
                rest = Plan(plan.steps[k:], plan.source_fields, plan.warnings)
                stages = WorkerPools(ray, rest, options, self.sizes, shared_with=1)
                pools = shards = ShardPool(ray, plan, self.sizes, k, stages.cpu_share())
                local = LocalExecutor(stages, stream=shards.stream_prefix)
                steps = plan.steps[:k] + stages.driver_plan.steps
                plan = Plan(steps, plan.source_fields, plan.warnings)
            else:
                pools = stages = WorkerPools(ray, plan, options, self.sizes)
                local, plan = LocalExecutor(stages), stages.driver_plan
            self.pools = pools
            try:
                if stages is not None and shards is not None:
                    await stages.start()
                await pools.start()
                self.startup_seconds = time.perf_counter() - started
                self.startup_cpu_seconds = time.process_time() - cpu
                try:
                    return await local.execute(plan, job, options, monitor=monitor)
                finally:
                    self.run_seconds = time.perf_counter() - started - self.startup_seconds
                    self.run_cpu_seconds = time.process_time() - cpu - self.startup_cpu_seconds
            finally:
                await pools.close()
                self.worker_cpu_seconds = pools.worker_cpu_seconds
                if stages is not None and shards is not None:
                    await stages.close()
                    self.worker_cpu_seconds += stages.worker_cpu_seconds
                self.shard_count = shards.shard_count if shards is not None else 0
                self.stage_pools = stages
                self.pools = None
        finally:
            if connected:
                await anyio.to_thread.run_sync(ray.shutdown)

    def _connect(self, ray: Any) -> bool:
        """Connect (True) unless this process already is; a private cluster unless told one."""
        if ray.is_initialized():
            return False
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        address = self.address or os.environ.get("RAY_ADDRESS")
        kwargs: dict[str, Any] = {"logging_level": "warning", "log_to_driver": True}
        runtime_env = dict(self.runtime_env or {})
        if address is None:
            # a private cluster on this machine: its workers are the run's work, so they run at
            # this process's priority, not Ray's default nice 15 (which lets any other program
            # on the machine, and this driver, starve them)
            os.environ.setdefault("RAY_worker_niceness", "0")
            # its workers import what this process imports
            env_vars = dict(runtime_env.get("env_vars", {}))
            env_vars.setdefault("PYTHONPATH", _python_path())
            runtime_env["env_vars"] = env_vars
            kwargs.update(num_cpus=self.num_cpus, include_dashboard=False)
        else:
            kwargs["address"] = address
        ray_logger = logging.getLogger("ray")
        level = ray_logger.level
        ray_logger.setLevel(logging.ERROR)  # not its notice that SIGTERM stays ours (a thread)
        try:
            ray.init(runtime_env=runtime_env or None, **kwargs)
        finally:
            ray_logger.setLevel(level)
        return True


def _python_path() -> str:
    """This process's import path, for workers on this machine."""
    entries = [os.path.abspath(p or os.getcwd()) for p in sys.path]
    return os.pathsep.join(dict.fromkeys(e for e in entries if os.path.exists(e)))
