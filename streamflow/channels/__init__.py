"""What moves between actors: batch and barrier items, bounded channels, and statistics."""

from streamflow.channels.items import (
    Barrier,
    Batch,
    Item,
    ItemReceive,
    ItemSend,
    depth,
    open_channel,
)
from streamflow.channels.stats import OperatorStats, RunStats

__all__ = [
    "Barrier",
    "Batch",
    "Item",
    "ItemReceive",
    "ItemSend",
    "OperatorStats",
    "RunStats",
    "depth",
    "open_channel",
]
