"""What travels between actors, and the bounded channels it travels in.

A channel carries :class:`~streamflow.rows.Batch` items (rows with their ids) and, in a run
with a run directory, :class:`~streamflow.rows.Barrier` items (checkpoint markers, in stream
order). Its capacity is counted in items, so a slow consumer fills it and its producer blocks:
that is all backpressure is. End of stream is the sender closing its end, never a sentinel.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from streamflow.rows import Barrier, Batch

Item = Batch | Barrier
ItemSend = MemoryObjectSendStream[Item]
ItemReceive = MemoryObjectReceiveStream[Item]

__all__ = ["Barrier", "Batch", "Item", "ItemReceive", "ItemSend", "depth", "open_channel"]


def open_channel(capacity: int) -> tuple[ItemSend, ItemReceive]:
    """A channel holding at most ``capacity`` items before its sender blocks."""
    return anyio.create_memory_object_stream[Item](capacity)


def depth(receive: ItemReceive) -> Callable[[], int]:
    """A live reading of the items waiting in a channel (for statistics and the display)."""
    return lambda: receive.statistics().current_buffer_used
