"""A loopback OpenAI-compatible chat server whose replies are scripted per request.

A request's key is the ``row-N`` tag in its last message (or the whole message). The script
maps a key to the actions of its successive attempts; the last action repeats, so ``["500"]``
fails for ever and ``["429", "ok"]`` once. The server records every arrival and the peak
number of requests in flight, which is what the fault tests measure.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import anyio
from aiohttp import web

ACTIONS = frozenset(
    {"ok", "429", "429-date", "500", "hang", "reset", "malformed", "context", "filter"}
    | {"null", "parts", "dict", "length"}
)
_KEY = re.compile(r"row-\d+")


@dataclass
class Arrival:
    key: str
    attempt: int
    action: str
    at: float
    done: float | None = None


class FaultServer:
    def __init__(
        self,
        script: dict[str, list[str]] | None = None,
        *,
        latency: float = 0.0,
        retry_after: float = 1.0,
        hang: float = 30.0,
        usage: tuple[int, int] = (10, 5),
        answer: Callable[[str], str] = lambda prompt: f"answer: {prompt}",
        api_key: str | None = None,
    ) -> None:
        self.script = script or {}
        for actions in self.script.values():
            assert actions and set(actions) <= ACTIONS, actions
        self.latency = latency
        self.retry_after = retry_after
        self.hang = hang
        self.usage = usage
        self.answer = answer
        self.api_key = api_key
        self.bodies: list[dict[str, Any]] = []
        self.arrivals: list[Arrival] = []
        self.attempts: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.base_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        # Cancel a handler whose client hung up, so a timed-out request stops counting as in
        # flight the moment the client gives up on it.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    def of(self, key: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.key == key]

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return _error(401, "Incorrect API key provided", code="invalid_api_key")

    async def _models(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        return web.json_response({"object": "list", "data": [{"id": "fault-model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        if refused := self._refused(request):
            return refused
        body = await request.json()
        self.bodies.append(body)
        prompt = body["messages"][-1]["content"]
        match = _KEY.search(prompt)
        key = match.group(0) if match else prompt
        self.attempts[key] += 1
        attempt = self.attempts[key]
        actions = self.script.get(key, ["ok"])
        action = actions[min(attempt, len(actions)) - 1]
        arrival = Arrival(key, attempt, action, time.monotonic())
        self.arrivals.append(arrival)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._reply(action, body, prompt, request)
        finally:
            self.in_flight -= 1
            arrival.done = time.monotonic()

    async def _reply(
        self, action: str, body: dict[str, Any], prompt: str, request: web.Request
    ) -> web.StreamResponse:
        if action == "ok":
            await anyio.sleep(self.latency)
            return web.json_response(self._completion(body, prompt))
        if action in ("null", "parts", "dict", "length"):  # odd but well-formed answers
            completion = self._completion(body, prompt)
            for choice in completion["choices"]:
                text = choice["message"]["content"]
                if action == "length":
                    choice["finish_reason"] = "length"
                else:
                    choice["message"]["content"] = {
                        "null": None,
                        "parts": [
                            {"type": "text", "text": text[:3]},
                            {"type": "text", "text": text[3:]},
                        ],
                        "dict": {"text": text},
                    }[action]
            return web.json_response(completion)
        if action == "429":
            return _error(
                429, "rate limit reached", headers={"Retry-After": f"{self.retry_after:g}"}
            )
        if action == "429-date":
            # HTTP dates have whole seconds: round up, so the date is never earlier than meant
            when = email.utils.formatdate(math.ceil(time.time() + self.retry_after), usegmt=True)
            return _error(429, "rate limit reached", headers={"Retry-After": when})
        if action == "500":
            return _error(500, "internal error")
        if action == "hang":
            await anyio.sleep(self.hang)
            return web.json_response(self._completion(body, prompt))
        if action == "reset":
            sock = request.transport.get_extra_info("socket") if request.transport else None
            if sock is not None:  # linger 0: close() sends RST instead of FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        if action == "malformed":
            return web.Response(body=b'{"choices": [{"mess', content_type="application/json")
        if action == "context":
            message = (
                "This model's maximum context length is 2048 tokens. However, you requested "
                "5000 tokens. Please reduce the length of the messages."
            )
            return _error(400, message, code="context_length_exceeded")
        assert action == "filter"
        return _error(400, "The response was filtered", code="content_filter")

    def _completion(self, body: dict[str, Any], prompt: str) -> dict[str, Any]:
        n = int(body.get("n", 1))
        prompt_tokens, completion_tokens = self.usage
        return {
            "id": "chatcmpl-fault",
            "object": "chat.completion",
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": self.answer(prompt)},
                    "finish_reason": "stop",
                }
                for i in range(n)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens * n,
                "total_tokens": prompt_tokens + completion_tokens * n,
            },
        }


def _error(
    status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    payload = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return web.Response(
        status=status, text=json.dumps(payload), content_type="application/json", headers=headers
    )
