"""The trial run's only way out of the sandbox: an OpenAI-compatible endpoint on a Unix socket.

The sandbox has no network. A pipeline on trial still needs its LLM, so :class:`ServingRelay`
serves ``GET /v1/models`` and ``POST /v1/chat/completions`` on a Unix socket in a host folder
the sandbox sees read-only (a socket on a read-only mount can still be connected to), and
answers each request with the agent's own :class:`~streamflow.serving.base.LLMServing`: the
trial run uses the same model as the agent (the embedded engine is started once, on the host),
and its calls and tokens count in the agent's cost. Nothing else is reachable through it.

Inside the sandbox, :data:`FORWARDER` (a few lines of standard-library Python that the trial
runner starts first) listens on the sandbox's own loopback and copies bytes to the socket, so the
pipeline's unmodified ``OpenAIServing`` talks to ``http://127.0.0.1:PORT/v1``.

A request belongs to the trial that sent it: when the client goes away (the sandbox stopped the
trial at its time limit, or the pipeline gave up on the call) its ``complete()`` is cancelled, and
leaving the relay cancels whatever is still queued or generating. Cancellation reaches the
serving: the embedded engine aborts the request (vLLM's ``generate`` aborts on cancellation), an
HTTP serving closes the call, a request waiting for admission leaves the queue. Abandoned
generations therefore never stall the agent's next question or the next task.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from streamflow.serving.base import (
    Completion,
    LLMRequestError,
    LLMServing,
    SamplingParams,
    Usage,
)

__all__ = ["FORWARDER", "ServingRelay"]


class ServingRelay:
    """``async with ServingRelay(serving) as relay``: ``relay.socket`` is the path to connect to."""

    def __init__(self, serving: LLMServing, *, max_tokens_cap: int = 1024) -> None:
        self.serving = serving
        self.max_tokens_cap = max_tokens_cap
        self.requests = 0
        self.cancelled = 0
        """Requests cancelled because their trial ended (timed out) or their client left."""
        self.usage = Usage()
        self._pending: set[asyncio.Task[Completion]] = set()
        self.folder = ""
        self.socket = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> ServingRelay:
        # not under /tmp: the sandbox masks it; the folder is shown to it read-only
        base = os.environ.get("STREAMFLOW_RELAY_DIR") or str(Path.home() / ".cache" / "streamflow")
        Path(base).mkdir(parents=True, exist_ok=True)
        self.folder = tempfile.mkdtemp(prefix="relay-", dir=base)
        os.chmod(self.folder, 0o755)
        self.socket = os.path.join(self.folder, "llm.sock")
        app = self.app()
        # a trial stopped by its time limit leaves requests waiting: do not wait for them
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.UnixSite(self._runner, self.socket).start()
        os.chmod(self.socket, 0o777)  # the sandbox runs as an unprivileged uid of its own
        return self

    def app(self) -> web.Application:
        """The endpoint as an aiohttp application (to serve it elsewhere, e.g. on TCP)."""
        # a client that disconnects (its trial was stopped) cancels its request's handler
        app = web.Application(handler_args={"handler_cancellation": True})
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        return app

    @property
    def pending(self) -> int:
        """Requests queued for or running in the serving on behalf of the trial."""
        return len(self._pending)

    async def cancel_pending(self, wait: float = 30.0) -> int:
        """Cancel every request still queued or generating and wait (at most ``wait`` seconds,
        for a serving that ignores cancellation) until each has stopped."""
        tasks = [t for t in self._pending if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=wait)
        return len(tasks)

    async def __aexit__(self, *exc: object) -> None:
        await self.cancel_pending()
        if self._runner is not None:
            await self._runner.cleanup()
        for path in (self.socket, self.folder):
            with contextlib.suppress(OSError):
                os.rmdir(path) if path == self.folder else os.unlink(path)

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.serving.model}]})

    async def _chat(self, request: web.Request) -> web.Response:
        try:
            body: dict[str, Any] = await request.json()
            messages = list(body["messages"])
            n = int(body.get("n") or 1)
            params = SamplingParams(
                temperature=float(body.get("temperature") or 0.0),
                top_p=float(body.get("top_p") or 1.0),
                max_tokens=min(int(body.get("max_tokens") or 256), self.max_tokens_cap),
                n=n,
                seed=body.get("seed"),
                stop=tuple(body.get("stop") or ()),
            )
            fmt = body.get("response_format") or {}
            schema = (fmt.get("json_schema") or {}).get("schema") if isinstance(fmt, dict) else None
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, f"bad request: {exc}")
        task = asyncio.ensure_future(
            self.serving.complete(messages, json_schema=schema, params=params)
        )
        self._pending.add(task)
        try:
            # cancelling this handler (client gone) cancels the task it awaits
            completion = await task
        except LLMRequestError as exc:
            return _error(400, str(exc))
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self._pending.discard(task)
        self.requests += 1
        self.usage = Usage(
            self.usage.prompt_tokens + completion.usage.prompt_tokens,
            self.usage.completion_tokens + completion.usage.completion_tokens,
        )
        choices = [
            {
                "index": i,
                "message": {"role": "assistant", "content": text},
                "finish_reason": (completion.finish_reasons[i : i + 1] or ["stop"])[0],
            }
            for i, text in enumerate(completion.texts)
        ]
        return web.json_response(
            {
                "object": "chat.completion",
                "model": self.serving.model,
                "choices": choices,
                "usage": {
                    "prompt_tokens": completion.usage.prompt_tokens,
                    "completion_tokens": completion.usage.completion_tokens,
                },
            }
        )


def _error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"error": {"message": message, "type": "invalid_request_error"}}),
        content_type="application/json",
    )


FORWARDER = '''
import socket, threading

def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

def start_forwarder(unix_path):
    """Listen on 127.0.0.1 (the sandbox's own loopback); return the port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)

    def accept():
        while True:
            client, _ = server.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(unix_path)
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1]
'''
"""Standard-library source the trial runner embeds: ``start_forwarder(socket_path) -> port``."""
