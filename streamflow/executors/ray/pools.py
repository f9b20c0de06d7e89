"""The driver side of the worker pools: which step runs where, and one pool of Ray actors per
stage of remote steps.

Stateless steps run in Ray actors; stateful ones (dedup indexes, dataset evaluators) run in the
driver, their state's single owner, beside the run store. A stage of cheap steps (fused as the
local runtime fuses them) or of CPU-heavy ones gets a pool of CPU workers; an LLM (or any async
or expensive) step gets a pool of ``llm_workers`` actors, each holding its own serving (one
engine per GPU with ``llm_gpus=1``, or a client of a shared OpenAI-compatible server) and taking
several batches at once. The driver keeps at most ``concurrency`` batches in flight per stage
(the actor's ordered window): a slow stage fills its inbound channel and pushes back.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math
from dataclasses import dataclass
from typing import Any

import anyio

from streamflow.actors.actor import BoundOp, StepResult, stages
from streamflow.actors.base import DatasetEvaluator, Operator
from streamflow.channels.stats import OperatorStats
from streamflow.errors import StreamflowError
from streamflow.executors.base import RunOptions
from streamflow.executors.ray.worker import StageWorker, StepSpec, Usage
from streamflow.plan import Plan
from streamflow.rows import Batch, Row


@dataclass(frozen=True)
class PoolSizes:
    """How big each pool is and what each worker asks the cluster for."""

    cpu_workers: int | None = None
    """Workers per CPU stage (None: the cluster's CPUs shared out between the CPU stages)."""
    cpus_per_worker: float = 1.0
    llm_workers: int = 1
    """Workers per LLM (async or expensive) stage: one engine each."""
    llm_gpus: float = 0.0
    """GPUs each LLM worker asks for (1 for one engine per GPU)."""
    batches_per_llm_worker: int = 4
    """Batches an LLM worker takes at once (its serving batches their requests)."""
    batches_per_cpu_worker: int = 2
    """Batches (or shards) queued per CPU worker, so the next one is there when it finishes."""
    shards: bool = True
    """Let workers read shards of the input when the whole plan allows it (:mod:`.shards`)."""
    shard_bytes: int | None = None
    """Bytes of input per shard (None: about eight shards per worker, 16 KiB to 8 MiB)."""


def runs_on_driver(op: Operator) -> bool:
    """Stateful steps run in the driver: the single owner of their state, beside the store."""
    return op.stateful or isinstance(op, DatasetEvaluator)


def is_cpu_stage(stage: list[BoundOp]) -> bool:
    """Synchronous steps that are not expensive: cheap fused rules, or CPU-heavy ones."""
    return not any(b.op.expensive or inspect.iscoroutinefunction(b.op.hook) for b in stage)


class RemoteStage:
    """An :class:`~streamflow.actors.actor.Offload`: one stage's batches sent to its pool."""

    def __init__(
        self, actors: list[Any], per_actor: int, ops: list[Operator], labels: list[str]
    ) -> None:
        self.actors = actors
        self.labels = labels
        self.concurrency = len(actors) * per_actor
        self._positions = {id(op): i for i, op in enumerate(ops)}
        self._idle_send, self._idle = anyio.create_memory_object_stream[Any](self.concurrency)
        for _ in range(per_actor):
            for actor in actors:
                self._idle_send.send_nowait(actor)

    def close(self) -> None:
        self._idle_send.close()
        self._idle.close()

    async def _call(self, method: str, *args: Any) -> Any:
        actor = await self._idle.receive()
        try:
            return await getattr(actor, method).remote(*args)
        finally:
            self._idle_send.send_nowait(actor)

    async def chain(self, batch: Batch) -> list[StepResult]:
        steps: list[StepResult] = await self._call("chain", batch.ids, batch.rows)
        return steps

    async def results(self, bound: BoundOp, ids: list[str], rows: list[Row]) -> list[Any]:
        position = self._positions[id(bound.op)]
        results, usage = await self._call("results", position, ids, rows)
        _add_usage(bound.stats, usage)
        return list(results)


class WorkerPools:
    """Every pool of one run: built from the plan, started before the first row moves."""

    def __init__(
        self, ray: Any, plan: Plan, options: RunOptions, sizes: PoolSizes, shared_with: int = 0
    ) -> None:
        """``shared_with``: other CPU pools of the run (shard workers) that take their share of
        the cluster's CPUs too."""
        self.ray = ray
        self.shared_with = shared_with
        self.sizes = sizes
        self.options = options
        self.original: dict[int, Operator] = {}
        """id of a remote step's stand-in in :attr:`driver_plan` -> the step's operator."""
        steps = []
        for step in plan.steps:
            if runs_on_driver(step.op):
                steps.append(step)
                continue
            stand_in = _stand_in(step.op)
            self.original[id(stand_in)] = step.op
            steps.append(dataclasses.replace(step, op=stand_in))
        self.driver_plan = Plan(tuple(steps), plan.source_fields, plan.warnings)
        """The plan the driver runs: a remote step's operator is a stand-in that holds no
        serving (its workers start their own), with the same configuration and fingerprint."""
        self._worker_class = ray.remote(StageWorker)
        self._pools: dict[tuple[int, ...], RemoteStage] = {}
        self._cpu_stages = [s for s in self._stages() if self.remote(s[0]) and is_cpu_stage(s)]
        self.worker_cpu_seconds = 0.0
        """CPU seconds the workers used after starting, summed at close."""

    def remote(self, bound: BoundOp) -> bool:
        return id(bound.op) in self.original

    def offload(self, stage: list[BoundOp]) -> RemoteStage | None:
        if not self.remote(stage[0]):
            return None
        key = tuple(id(b.op) for b in stage)
        if key not in self._pools:
            self._pools[key] = self._start_pool(stage)
        return self._pools[key]

    async def start(self) -> None:
        """Start every pool the plan needs and wait until each worker is up."""
        for stage in self._stages():
            self.offload(stage)
        for pool in self._pools.values():
            await wait_ready(self.ray, pool.actors, pool.labels)

    async def close(self) -> None:
        """Close the workers' servings, then end the workers."""
        actors = [a for pool in self._pools.values() for a in pool.actors]
        self.worker_cpu_seconds += await close_actors(self.ray, actors)
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def pids(self) -> list[int]:
        """The process ids of every worker (for tests that kill one)."""
        return [self.ray.get(a.ready.remote()) for p in self._pools.values() for a in p.actors]

    # -- building pools ----------------------------------------------------------------------

    def _stages(self) -> list[list[BoundOp]]:
        """The stages the driver's runtime will form (the same grouping, the same places)."""
        bound = [
            BoundOp(
                s.op,
                s.keys,
                OperatorStats(s.label, s.op.kind),
                None,
                s.index,
                s.writes,
                s.depends_on,
            )
            for s in self.driver_plan.steps
        ]
        return stages(bound, self.options.fuse, self.remote)

    def _start_pool(self, stage: list[BoundOp]) -> RemoteStage:
        sizes = self.sizes
        specs = [
            StepSpec(self.original[id(b.op)], b.keys, b.stats.name, b.index, b.writes, b.depends_on)
            for b in stage
        ]
        if is_cpu_stage(stage):
            count = sizes.cpu_workers or self._cpu_share()
            options = {"num_cpus": sizes.cpus_per_worker}
            per_actor = sizes.batches_per_cpu_worker
        else:
            count = sizes.llm_workers
            options = {"num_cpus": 0, "num_gpus": sizes.llm_gpus}
            per_actor = sizes.batches_per_llm_worker
        actors = [
            self._worker_class.options(
                max_restarts=-1,  # a killed worker comes back...
                max_task_retries=-1,  # ...and the batches it held are sent again
                scheduling_strategy="SPREAD",
                **options,
            ).remote(specs)  # inline, not a shared reference: a restart must find it
            for _ in range(count)
        ]
        return RemoteStage(actors, per_actor, [b.op for b in stage], [b.stats.name for b in stage])

    def cpu_share(self) -> int:
        """Workers for each CPU pool, shard workers included: the cluster's CPUs shared out."""
        if self.sizes.cpu_workers:
            return self.sizes.cpu_workers
        return self._cpu_share()

    def _cpu_share(self) -> int:
        """Workers for each CPU pool: the cluster's CPUs shared out between them."""
        cpus = float(self.ray.cluster_resources().get("CPU", 1))
        pools = len(self._cpu_stages) + self.shared_with
        per_stage = cpus / max(1, pools) / self.sizes.cpus_per_worker
        return max(1, math.floor(per_stage))


async def wait_ready(ray: Any, actors: list[Any], labels: list[str]) -> None:
    """Wait until every worker is up; one that cannot load its operators is a clear error."""
    for actor in actors:
        try:
            await actor.ready.remote()
        except ray.exceptions.RayError as exc:
            raise StreamflowError(
                f"a Ray worker for {', '.join(labels)} could not start: "
                f"{_first_line(exc)}. Every node must import streamflow and the "
                "pipeline's own operator classes (install them there, or pass a Ray "
                "runtime_env)"
            ) from exc


async def close_actors(ray: Any, actors: list[Any]) -> float:
    """Close the workers (their servings), then end them; the CPU seconds they used."""
    used = 0.0
    with anyio.move_on_after(30, shield=True):
        for actor in actors:
            with contextlib.suppress(Exception):  # a worker that died closes nothing
                used += await actor.close.remote()
    for actor in actors:
        ray.kill(actor)
    return used


def _stand_in(op: Operator) -> Operator:
    """A copy of ``op`` for the driver: the same configuration, no serving to start."""
    stand_in = copy.copy(op)
    if getattr(stand_in, "llm_serving", None) is not None:
        with contextlib.suppress(AttributeError):  # a read-only property: left as it is
            stand_in.llm_serving = None  # type: ignore[attr-defined]
    return stand_in


def _add_usage(stats: OperatorStats, usage: Usage) -> None:
    requests, prompt_tokens, completion_tokens, cost, hedged = usage
    stats.hedged += hedged
    stats.requests += requests
    stats.prompt_tokens += prompt_tokens
    stats.completion_tokens += completion_tokens
    stats.cost += cost


def _first_line(exc: BaseException) -> str:
    """The cause of a Ray error in one line (Ray's own messages run to a traceback)."""
    cause = exc.__cause__ or exc
    text = str(getattr(exc, "cause", None) or cause).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
