"""Channels: bounded in items, their depth read live, end of stream by closing."""

from __future__ import annotations

import anyio
import pytest

from streamflow.channels import Barrier, Batch, depth, open_channel


async def test_a_full_channel_blocks_its_sender_and_reports_its_depth() -> None:
    send, receive = open_channel(2)
    waiting = depth(receive)
    assert waiting() == 0
    await send.send(Batch(["a"], [{"x": 1}]))
    await send.send(Barrier(1, {"f": 0}))
    assert waiting() == 2
    with pytest.raises(anyio.WouldBlock):
        send.send_nowait(Batch(["b"], [{"x": 2}]))
    first = await receive.receive()
    assert isinstance(first, Batch) and first.ids == ["a"]
    assert waiting() == 1
    await send.aclose()
    assert [type(item) for item in [item async for item in receive]] == [Barrier]
