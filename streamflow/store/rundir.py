"""A run directory: how a run resumes, continues incrementally, or refuses to start.

The commit protocol, which gives output files every row exactly once, in order, whatever the
number of crashes:

1. The source sends a *barrier* every few seconds, carrying the source position (per input file,
   the offset of the last record read before it). Channels are FIFO and actors keep order, so a
   barrier reaches each operator after every batch read before it; dataset evaluators add their
   state to it as it passes.
2. Expensive operators commit each batch's per-row results (one LMDB transaction, keyed by step
   fingerprint and row id) before passing the batch on; stateful operators keep their state in
   the store with idempotent updates (a key belongs to the first row id that claimed it).
3. When the barrier reaches the sink, everything before it has been written: the sink flushes
   and fsyncs the output, then one transaction records the checkpoint (source position, output
   byte offset, rows written, evaluator states) and the store is synced.
4. On resume the output is truncated to the checkpoint's offset (dropping rows written after
   it), the source skips every record at or before the checkpoint's position, evaluators reload
   their state, and rows after the checkpoint flow again: expensive steps replay their stored
   results instead of recomputing, dedup finds each replayed row as the owner of its own key.
   The output therefore equals an uninterrupted run's, and the only expensive work redone is
   the batch that was in flight when the process died.

A finished run's last checkpoint covers all its input, so running again over grown input (new
files, lines appended to a JSONL) processes only the new records: an incremental run. Outputs
that cannot be continued at a byte offset (Parquet, compressed files) are spooled as JSONL in
the run directory and converted at the end of each run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import msgspec

from streamflow.actors.base import Operator
from streamflow.channels.stats import RunStats
from streamflow.errors import StreamflowError
from streamflow.io.sinks import (
    CsvSink,
    JsonlSink,
    Sink,
    open_appending,
    open_sink,
    supports_append,
)
from streamflow.plan import SOURCE, Plan
from streamflow.rows import Barrier, Batch, fingerprint
from streamflow.store.deadletters import DeadLetter
from streamflow.store.runstore import RunStore

_decoder = msgspec.json.Decoder()


class RunDirectoryError(StreamflowError):
    """The run directory holds a run this one may not continue without ``--resume`` or
    ``--overwrite``."""


class ResumeNotice(UserWarning):
    """What a resumed run will redo (operators whose configuration changed)."""


class Checkpoint(msgspec.Struct):
    number: int
    position: dict[str, int]
    output_bytes: int
    rows_written: int
    header: list[str] | None = None
    states: dict[str, Any] = {}
    final: bool = False
    at: float = 0.0


def step_fingerprints(plan: Plan) -> list[str]:
    """Each step's configuration, keys and the fingerprints of the steps it depends on.

    Like a build system: change a step and its fingerprint changes, and so does every step
    downstream of it in the DAG, which invalidates their stored results.
    """
    fps: list[str] = []
    for step in plan.steps:
        upstream = ",".join("source" if d == SOURCE else fps[d] for d in step.depends_on)
        text = f"{describe(step.op)}|{stable_repr(step.keys)}|{upstream}"
        fps.append(fingerprint(text, 16))
    return fps


def describe(op: Operator) -> str:
    cls = type(op)
    return f"{cls.__module__}.{cls.__qualname__}({stable_repr(op.config)})"


def stable_repr(value: Any, depth: int = 0) -> str:
    """A repr that is the same in every process: no memory addresses, sorted mappings."""
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return repr(value)
    if isinstance(value, Path):
        return repr(str(value))
    if isinstance(value, list | tuple | set | frozenset):
        items = [stable_repr(v, depth + 1) for v in value]
        return "[" + ",".join(sorted(items) if isinstance(value, set | frozenset) else items) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{k!r}:{stable_repr(v, depth + 1)}" for k, v in sorted(value.items()))
            + "}"
        )
    fp = getattr(value, "fingerprint", None)
    if callable(fp):
        return str(fp())
    if isinstance(value, Operator):
        return describe(value)
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if depth < 3 and hasattr(value, "__dict__"):
        public = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return f"{name}{stable_repr(public, depth + 1)}"
    return name


@dataclass
class RunDirectory:
    path: Path
    store: RunStore
    output: Path
    checkpoint: Checkpoint | None
    """Where this run (or its next pass) starts from (None: from the beginning)."""
    last: Checkpoint | None = None
    """The last checkpoint this process committed."""

    @classmethod
    def open(
        cls, path: Path, plan: Plan, output: Path, *, resume: bool = False, overwrite: bool = False
    ) -> RunDirectory:
        """Decide how a run uses ``path``: fresh, resumed, incremental, or refused."""
        fps = step_fingerprints(plan)
        if overwrite:
            shutil.rmtree(path / "store", ignore_errors=True)
            (path / "output.spool.jsonl").unlink(missing_ok=True)
            output.unlink(missing_ok=True)
        store = RunStore(path / "store")
        manifest = store.get_meta("manifest")
        status = store.get_meta("status") or {}
        checkpoint = _load(store.get_meta("checkpoint"))
        if manifest is not None:
            changed = [
                label
                for label, fp in zip([s.label for s in plan.steps], fps, strict=True)
                if fp not in manifest["fingerprints"]
            ]
            if Path(manifest["output"]) != output.resolve():
                store.close()
                raise RunDirectoryError(
                    f"{path} holds a run writing {manifest['output']}, not {output.resolve()}: "
                    "use the same --output, or --overwrite to start over"
                )
            unfinished = status.get("state") != "finished"
            if (changed or unfinished) and not resume:
                store.close()
                why = (
                    f"a different run (changed: {', '.join(changed)})"
                    if changed
                    else f"an unfinished run ({status.get('state', 'never started')})"
                )
                raise RunDirectoryError(
                    f"{path} holds {why}: pass --resume to continue it, or --overwrite to "
                    "start over"
                )
            if changed:
                warnings.warn(
                    f"configuration changed: {', '.join(changed)} will recompute (and rewrite "
                    "the output from the start); stored results of unchanged expensive steps "
                    "are reused",
                    ResumeNotice,
                    stacklevel=2,
                )
                checkpoint = None
        store.put_meta(
            manifest={
                "steps": [s.label for s in plan.steps],
                "fingerprints": fps,
                "output": str(output.resolve()),
                "updated": time.time(),
            }
        )
        run = cls(path, store, output, checkpoint)
        run._check_output()
        return run

    @property
    def fingerprints(self) -> list[str]:
        return list(self.store.get_meta("manifest")["fingerprints"])

    @property
    def spooled(self) -> bool:
        return not supports_append(self.output)

    def open_sink(self) -> JsonlSink | CsvSink:
        """The file the run writes to, continued at the last checkpoint's offset."""
        target = self.path / "output.spool.jsonl" if self.spooled else self.output
        ckpt = self.checkpoint
        return open_appending(
            target, ckpt.output_bytes if ckpt else 0, ckpt.header if ckpt else None
        )

    async def commit(self, barrier: Barrier, sink: JsonlSink | CsvSink, written: int) -> None:
        """Step 3 of the protocol: output durable first, then the checkpoint that points at it.

        ``written`` is the rows this run has written so far.
        """
        offset = await anyio.to_thread.run_sync(sink.commit)
        start = self.checkpoint
        checkpoint = Checkpoint(
            number=barrier.number,
            position=barrier.position,
            output_bytes=offset,
            rows_written=(start.rows_written if start else 0) + written,
            header=sink.header if isinstance(sink, CsvSink) else None,
            states={**(start.states if start else {}), **barrier.states},
            final=barrier.final,
            at=time.time(),
        )
        await anyio.to_thread.run_sync(
            self.store.commit_checkpoint, msgspec.to_builtins(checkpoint)
        )
        self.last = checkpoint

    def advance(self) -> None:
        """A pass (the retry of requeued rows) ended: the next one starts where it stopped."""
        if self.last is not None:
            self.checkpoint = self.last

    def take_requeued(self, plan: Plan) -> list[tuple[int, list[DeadLetter]]]:
        """The dead letters ``streamflow deadletters --requeue`` queued, by failing step.

        The failing step's stored result for each row is forgotten, so the retry really calls it
        again. The queue itself is cleared by :meth:`clear_requeued` once the retry committed: a
        crash in between retries again from the same checkpoint.
        """
        queued = [msgspec.convert(d, DeadLetter) for d in self.store.get_meta("requeue") or []]
        index = {s.label: s.index for s in plan.steps}
        groups: dict[int, list[DeadLetter]] = {}
        for letter in queued:
            if letter.operator in index:
                groups.setdefault(index[letter.operator], []).append(letter)
        fps = self.fingerprints
        for k, letters in groups.items():
            letters.sort(key=lambda d: _natural(d.id))  # back in input order
            self.store.delete_results(fps[k], [d.id for d in letters])
        return sorted(groups.items())

    def clear_requeued(self) -> None:
        self.store.put_meta(requeue=[])

    def mark(self, state: str, **info: Any) -> None:
        self.store.put_meta(status={"state": state, "pid": os.getpid(), "at": time.time(), **info})

    def save_progress(self, stats: RunStats) -> None:
        self.store.put_meta(progress={**stats.snapshot(), "at": time.time(), "pid": os.getpid()})

    def finish(self) -> None:
        """After the final checkpoint: write a spooled output out in its real format."""
        if self.spooled:
            _convert(self.path / "output.spool.jsonl", self.output)

    def close(self) -> None:
        self.store.close()

    def _check_output(self) -> None:
        if self.checkpoint is None:
            return
        target = self.path / "output.spool.jsonl" if self.spooled else self.output
        size = target.stat().st_size if target.exists() else -1
        if size < self.checkpoint.output_bytes:
            raise RunDirectoryError(
                f"{target} is shorter ({size} bytes) than the run's last checkpoint recorded "
                f"({self.checkpoint.output_bytes}): it was changed outside streamflow; "
                "--overwrite to start over"
            )


def requeue_dead_letters(run_dir: Path, step: str | None = None) -> int:
    """Move dead letters (all, or one step's) to the queue the next run in ``run_dir`` retries.

    Rows from the source itself (unreadable records) cannot be retried and stay.
    """
    store = RunStore(run_dir / "store")
    try:
        return store.requeue(lambda d: d["operator"] != "source" and step in (None, d["operator"]))
    finally:
        store.close()


def _natural(row_id: str) -> list[Any]:
    """Sort key putting ids in input order: ``abc:900`` before ``abc:1000``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", row_id)]


def _load(raw: Any) -> Checkpoint | None:
    return None if raw is None else msgspec.convert(raw, Checkpoint)


def _convert(spool: Path, output: Path, batch_size: int = 4096) -> None:
    """Stream the JSONL spool into ``output`` in its own format."""
    sink: Sink = open_sink(output)
    with sink, spool.open("rb") as f:
        batch = Batch([], [])
        for n, line in enumerate(f, 1):
            batch.ids.append(f"{spool.name} line {n}")
            batch.rows.append(_decoder.decode(line))
            if len(batch) == batch_size:
                sink.write(batch)
                batch = Batch([], [])
        sink.write(batch)
