"""The relay: a trial's requests end when the trial does (cancellation reaches the serving)."""

from __future__ import annotations

import asyncio

import aiohttp

from streamflow.agent.relay import ServingRelay
from streamflow.testing import ScriptedServing

BODY = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


class Slow(ScriptedServing):
    """Counts requests still queued or generating."""

    def __init__(self) -> None:
        super().__init__(lambda prompt: "late", delay=600, max_in_flight=1)
        self.pending = 0

    async def complete(self, prompt, **kwargs):
        self.pending += 1
        try:
            return await super().complete(prompt, **kwargs)
        finally:
            self.pending -= 1


async def _post(socket: str) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=socket)) as session:
        await session.post("http://relay/v1/chat/completions", json=BODY)


async def _until(condition, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_client_that_goes_away_cancels_its_request_at_the_serving():
    serving = Slow()
    async with ServingRelay(serving) as relay:
        clients = [asyncio.create_task(_post(relay.socket)) for _ in range(3)]
        await _until(lambda: serving.pending == 3)  # one generating, two queued
        for client in clients:
            client.cancel()  # the connection closes, as when the sandbox is killed
        await asyncio.gather(*clients, return_exceptions=True)
        await _until(lambda: serving.pending == 0)
        assert relay.cancelled == 3 and relay.pending == 0
        assert serving.in_flight == 0


async def test_leaving_the_relay_cancels_what_is_still_queued():
    serving = Slow()
    relay = ServingRelay(serving)
    await relay.__aenter__()
    client = asyncio.create_task(_post(relay.socket))
    await _until(lambda: serving.pending == 1)
    await relay.__aexit__(None, None, None)
    assert serving.pending == 0 and relay.cancelled == 1
    client.cancel()
    await asyncio.gather(client, return_exceptions=True)
