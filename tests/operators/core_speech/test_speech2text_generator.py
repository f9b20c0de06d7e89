"""Speech2TextGenerator against a loopback /v1/audio/transcriptions: the multipart request."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from streamflow.operators.core_speech.speech2text_generator import Speech2TextGenerator
from streamflow.serving.transcription import TranscriptionServing


class WhisperServer:
    def __init__(self) -> None:
        self.forms: list[dict[str, Any]] = []
        self.busy = 1
        self.base = ""

    def app(self) -> Any:
        from aiohttp import web

        async def transcribe(request: web.Request) -> web.Response:
            if self.busy:
                self.busy -= 1
                return web.json_response(
                    {"error": {"message": "busy"}}, status=503, headers={"Retry-After": "0"}
                )
            form: dict[str, Any] = {}
            async for part in await request.multipart():
                if part.name == "file":
                    form["file"] = (
                        part.filename,
                        part.headers.get("Content-Type"),
                        await part.read(),
                    )
                else:
                    form[part.name] = (await part.read()).decode()
            self.forms.append(form)
            return web.json_response({"text": f" transcript of {form['file'][0]} "})

        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", transcribe)
        return app


@pytest_asyncio.fixture(loop_scope="function")
async def server() -> AsyncIterator[WhisperServer]:
    from aiohttp import web

    served = WhisperServer()
    runner = web.AppRunner(served.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    try:
        yield served
    finally:
        await runner.cleanup()


def write_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x01" * 1600)
    return path


async def test_transcription_request_shape_and_retry(server: WhisperServer, tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "greeting.wav")
    serving = TranscriptionServing("whisper-small", server.base, language="en", backoff=0.01)
    op = Speech2TextGenerator(serving, system_prompt="Names: Aldermoor, Margit Holm.")
    out = await op.process([{"raw_content": str(audio)}, {"raw_content": str(tmp_path / "no.wav")}])
    await serving.aclose()
    assert out[0]["generated_content"] == "transcript of greeting.wav"
    assert "no.wav" in out[1].reason and "cannot read" in out[1].reason  # type: ignore[union-attr]
    (form,) = server.forms  # the first attempt got a 503 and was retried
    assert form["file"] == ("greeting.wav", "audio/wav", audio.read_bytes())
    assert form["model"] == "whisper-small" and form["language"] == "en"
    assert form["prompt"] == "Names: Aldermoor, Margit Holm." and form["response_format"] == "json"
