"""The two ends of a run: a producer filling the first channel and a consumer draining the last.

File reading and writing is blocking, so each batch is read or written in a worker thread; the
event loop only moves finished batches. In a run with a run directory the producer also skips
what earlier runs consumed and sends checkpoint barriers, and the consumer hands each barrier to
the run-directory protocol to commit (:mod:`streamflow.executors.local`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread

from streamflow.channels.items import ItemReceive, ItemSend
from streamflow.channels.stats import OperatorStats
from streamflow.errors import SinkError
from streamflow.executors.runtime import Consumer, Producer
from streamflow.io.records import BadRecord, Source
from streamflow.io.sinks import Sink
from streamflow.rows import Barrier, Batch
from streamflow.store.deadletters import DeadLetter, DeadLetters

Position = dict[str, int]
"""Per source file fingerprint, the offset of the last record consumed."""


def file_producer(
    source: Source,
    batch_size: int,
    dead_letters: DeadLetters,
    *,
    done: Position | None = None,
    checkpoint_interval: float | None = None,
    first_barrier: int = 0,
) -> Producer:
    """Read ``source`` in batches, skipping records at or before ``done``.

    With a ``checkpoint_interval``, a barrier follows the batch that crosses each interval, and
    a final barrier ends the stream.
    """
    position: Position = dict(done or {})

    async def produce(send: ItemSend, stats: OperatorStats) -> None:
        batches = source.iter_batches(batch_size, after=done)
        number = first_barrier
        last_barrier = time.monotonic()
        try:
            while (item := await anyio.to_thread.run_sync(next, batches, None)) is not None:
                batch, bad = item
                if done:
                    batch = _unseen(batch, done)
                    bad = [b for b in bad if _is_new(b.id, done)]
                if bad:
                    stats.failed += len(bad)
                    await anyio.to_thread.run_sync(dead_letters.add, bad_record_letters(bad))
                if checkpoint_interval is not None:
                    _advance(position, batch.ids)
                    _advance(position, [b.id for b in bad])
                stats.rows_out += len(batch)
                stats.batches += 1
                if batch.rows:
                    await send.send(batch)
                if checkpoint_interval is not None:
                    now = time.monotonic()
                    if now - last_barrier >= checkpoint_interval:
                        number += 1
                        await send.send(Barrier(number, dict(position)))
                        last_barrier = now
            if checkpoint_interval is not None:
                await send.send(Barrier(number + 1, dict(position), final=True))
        finally:
            with anyio.CancelScope(shield=True):  # close the file even when cancelled
                await anyio.to_thread.run_sync(batches.close)

    return Producer(source.describe(), produce)


def bad_record_letters(bad: list[BadRecord]) -> list[DeadLetter]:
    """The source's dead letters for records it could not read: file, line and why."""
    return [
        DeadLetter("source", b.id, f"{b.path}: {b.where}: {b.reason}", {"raw": b.raw}) for b in bad
    ]


def replay_producer(
    batch: Batch, batch_size: int, final: Barrier, name: str = "source"
) -> Producer:
    """Rows given in memory (a retry of dead letters), then ``final``."""

    async def produce(send: ItemSend, stats: OperatorStats) -> None:
        for i in range(0, len(batch), batch_size):
            chunk = Batch(batch.ids[i : i + batch_size], batch.rows[i : i + batch_size])
            stats.rows_out += len(chunk)
            stats.batches += 1
            await send.send(chunk)
        await send.send(final)

    return Producer(name, produce)


def file_consumer(
    sink: Sink,
    on_barrier: Callable[[Barrier, OperatorStats], Awaitable[None]] | None = None,
    name: str | None = None,
) -> Consumer:
    """Write batches to ``sink``; at each barrier, hand over to ``on_barrier`` to commit.

    ``name`` (the sink's in the statistics) defaults to the sink's path.
    """

    async def consume(receive: ItemReceive, stats: OperatorStats) -> None:
        failed = False
        try:
            async for item in receive:
                if isinstance(item, Barrier):
                    if on_barrier is not None:
                        await on_barrier(item, stats)
                    continue
                stats.rows_in += len(item)
                stats.batches += 1
                try:
                    await anyio.to_thread.run_sync(sink.write, item)
                except OSError as exc:
                    raise _write_error(sink, exc) from exc
                stats.rows_out += len(item)
        except BaseException:
            failed = True
            raise
        finally:
            with anyio.CancelScope(shield=True):  # flush and close even when cancelled
                try:
                    await anyio.to_thread.run_sync(sink.close)
                except OSError as exc:
                    if not failed:  # else the first error is the one to report
                        raise _write_error(sink, exc) from exc

    return Consumer(str(sink.path) if name is None else name, consume)


def _write_error(sink: Sink, exc: OSError) -> SinkError:
    """An output that cannot be written (a full disk, a removed directory), named."""
    return SinkError(f"{sink.path}: cannot write the output: {exc.strerror or exc}")


def _split_id(row_id: str) -> tuple[str, int] | None:
    """``fingerprint:offset`` -> (fingerprint, offset); None for ids with no offset."""
    fp, _, offset = row_id.rpartition(":")
    return (fp, int(offset)) if offset.isdigit() else None


def _is_new(row_id: str, done: Position) -> bool:
    parts = _split_id(row_id)
    return parts is None or parts[1] > done.get(parts[0], -1)


def _unseen(batch: Batch, done: Position) -> Batch:
    keep = [i for i, row_id in enumerate(batch.ids) if _is_new(row_id, done)]
    if len(keep) == len(batch):
        return batch
    return Batch([batch.ids[i] for i in keep], [batch.rows[i] for i in keep])


def _advance(position: Position, ids: list[str]) -> None:
    for row_id in ids:
        parts = _split_id(row_id)
        if parts is not None and parts[1] > position.get(parts[0], -1):
            position[parts[0]] = parts[1]
