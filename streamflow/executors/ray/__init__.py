"""The Ray executor: the same compiled plan on a Ray cluster, with the store's contracts kept.

Design: Ray actors fed by bounded queues, not Ray Data. The local executor's run-directory
protocol (:mod:`streamflow.executors.local`) stays the one protocol, driven by the driver
process: it reads the source, sends the checkpoint barriers, holds the run store (LMDB, one
writer), writes the sink and commits. What moves to the cluster is the hooks: each stage of
stateless steps gets a pool of Ray actors (:mod:`.pools`, :mod:`.worker`), and the stage's
actor in the driver sends it batches, at most ``concurrency`` at a time, and takes the results
back in input order. Why not Ray Data: its streaming executor owns ordering, batching and
retries with no place for our barriers, for an expensive step's per-batch commit before its
rows go on, or for a single owner of a dedup index; gluing those onto it would rebuild the
protocol around it. With actors, every contract is the local executor's, unchanged:

- each output row exactly once, in input order: the driver's sink and checkpoints, as locally;
- expensive results committed as produced: the driver looks up an LLM step's stored results
  before sending a batch and commits the new ones (one LMDB transaction) when they return,
  before they go downstream; after a kill of the driver, ``--resume`` replays them, so only the
  batches in flight are asked again;
- a killed worker: Ray restarts the actor (``max_restarts=-1``) and sends the batches it held
  again (``max_task_retries=-1``); the driver still emits in order, so the output is exact
  (cheap steps recompute; an LLM step repeats only those batches' calls);
- stateful steps (dedup indexes, dataset evaluators) run in the driver, the single owner of
  their state, which lives in the run store as locally; their neighbours still run remotely;
- statistics, the live display, ``streamflow status`` and the summary: the driver's actors
  count every step as locally, and LLM usage comes back with each batch.

Limits (see the README's "Running on a Ray cluster" and bench B10): the driver reads, moves and
writes every row, so one driver bounds the throughput (about the local executor's rows/s, less
the (de)serialisation of each batch both ways); stateful steps run at one process's speed; the
workers must import the same streamflow and the pipeline's own operator classes (a private
local cluster gets the driver's import path; a remote one needs them installed or a
``runtime_env``).
"""

from streamflow.executors.ray.executor import RayExecutor
from streamflow.executors.ray.pools import PoolSizes

__all__ = ["PoolSizes", "RayExecutor"]
