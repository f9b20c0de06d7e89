"""The two ends of a run: a producer filling the first channel and a consumer draining the last.

File reading and writing is blocking, so each batch is read or written in a worker thread; the
event loop only moves finished batches.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from streamflow.channels.stats import OperatorStats
from streamflow.rows import Batch
from streamflow.runtime import Consumer, Producer
from streamflow.store.deadletters import DeadLetter, DeadLetters
from streamflow.store.sinks import Sink
from streamflow.store.sources import FileSource


def file_producer(source: FileSource, batch_size: int, dead_letters: DeadLetters) -> Producer:
    async def produce(send: MemoryObjectSendStream[Batch], stats: OperatorStats) -> None:
        batches = source.iter_batches(batch_size)
        try:
            while (item := await anyio.to_thread.run_sync(next, batches, None)) is not None:
                batch, bad = item
                if bad:
                    stats.failed += len(bad)
                    letters = [
                        DeadLetter(
                            "source", b.id, f"{b.path}: {b.where}: {b.reason}", {"raw": b.raw}
                        )
                        for b in bad
                    ]
                    await anyio.to_thread.run_sync(dead_letters.add, letters)
                stats.rows_out += len(batch)
                stats.batches += 1
                if batch.rows:
                    await send.send(batch)
        finally:
            with anyio.CancelScope(shield=True):  # close the file even when cancelled
                await anyio.to_thread.run_sync(batches.close)

    return produce


def file_consumer(sink: Sink) -> Consumer:
    async def consume(receive: MemoryObjectReceiveStream[Batch], stats: OperatorStats) -> None:
        try:
            async for batch in receive:
                stats.rows_in += len(batch)
                stats.batches += 1
                await anyio.to_thread.run_sync(sink.write, batch)
                stats.rows_out += len(batch)
        finally:
            with anyio.CancelScope(shield=True):  # flush and close even when cancelled
                await anyio.to_thread.run_sync(sink.close)

    return consume
