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

**Input shards** (:mod:`.shards`): a plan of cheap rule steps only (stateless, synchronous, not
expensive, not whole-dataset), over plain JSON-lines files, writing JSON lines (a ``.jsonl``
output, or a run directory's spool), runs without the driver touching a row. The driver cuts
each file into byte ranges; a :class:`~.worker.ShardWorker` per CPU reads its ranges itself
(:func:`~streamflow.io.sources.jsonl_span`: the lines that start in the range, every line once,
with the source's ids and bad records), runs the whole chain and returns the surviving rows
encoded as the sink writes them, with the shard's statistics, dead letters and dropped rows. The
driver keeps ``batches_per_cpu_worker`` shards in flight per worker, takes them back in shard
order, records, appends the bytes and commits the local executor's checkpoints at shard ends
(the protocol stays in :mod:`streamflow.executors.local`: the shards are its
:class:`~streamflow.executors.local.Stream`). So the output equals a local run's byte for byte,
``--resume`` after a driver kill continues (with either executor), a grown input continues, and
requeued dead letters are retried first, in the driver. A plan whose first steps are such
steps runs those on shards and feeds the rows they keep (and the barriers) to the rest of the
plan, run as above; any other plan or input takes the path above alone.

Limits (see the README's "Running on a Ray cluster" and bench B10): outside shards the driver
reads, moves and writes every row, so one driver bounds the throughput (about the local
executor's rows/s, less the (de)serialisation of each batch both ways); on shards it only
assigns ranges, appends bytes and commits (under 1 µs of CPU a row in B10), a shard is the
unit of work lost to a kill, and every node must see the input files at the same path;
stateful steps run at one process's speed; the workers must import the same streamflow and the
pipeline's own operator classes (a private local cluster gets the driver's import path, and
runs its workers at the driver's priority rather than Ray's nice 15; a remote one needs them
installed or a ``runtime_env``).
"""

from streamflow.executors.ray.executor import RayExecutor
from streamflow.executors.ray.pools import PoolSizes

__all__ = ["PoolSizes", "RayExecutor"]
