"""Speech to text through any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint.

OpenAI's API, ``vllm serve`` of a Whisper model (on a GPU), faster-whisper-server and the like
all accept the same multipart request: the audio ``file``, ``model``, and optionally
``language``, ``prompt`` (a hint: names, spelling) and ``temperature``. The backend follows the
same discipline as the chat backend: bounded concurrency, a per-attempt timeout and a total
deadline, retries with backoff that honour ``Retry-After``, and a final error
(:class:`~streamflow.serving.base.LLMRequestError`) for a request the server refuses.
"""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import anyio

from streamflow.serving.http_retry import Pause, Retry, call_with_retries, classify

__all__ = ["TranscriptionServing"]

_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}


class TranscriptionServing:
    """Transcribes audio with a transcription API."""

    def __init__(
        self,
        model: str = "whisper-1",
        base_url: str = "https://api.openai.com/v1",
        *,
        api_key_env: str = "OPENAI_API_KEY",
        language: str | None = None,
        max_concurrency: int = 4,
        max_retries: int = 5,
        timeout: float = 300.0,
        deadline: float = 1800.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_bytes: int = 25 * 2**20,
    ) -> None:
        """``max_bytes``: the largest audio file sent (OpenAI's limit is 25 MB)."""
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.language = language
        self.max_retries = max_retries
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self._limit = anyio.Semaphore(max_concurrency)
        self._pause = Pause()
        self._session: aiohttp.ClientSession | None = None

    def fingerprint(self) -> str:
        return f"TranscriptionServing:{self.base_url}:{self.model}:{self.language}"

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def transcribe(self, audio: bytes, name: str, prompt: str = "") -> str:
        """The text spoken in ``audio``; ``name`` (a file name) tells the server its format."""
        if self._session is None:
            key = os.environ.get(self.api_key_env)
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            self._session = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=None)
            )
        async with self._limit:
            return await call_with_retries(
                lambda: self._attempt(audio, name, prompt),
                pause=self._pause,
                max_retries=self.max_retries,
                backoff=self.backoff,
                max_backoff=self.max_backoff,
                deadline=self.deadline,
                name=self.base_url,
            )

    async def _attempt(self, audio: bytes, name: str, prompt: str) -> str:
        assert self._session is not None
        form = aiohttp.FormData()
        form.add_field(
            "file",
            audio,
            filename=name,
            content_type=_TYPES.get(Path(name).suffix.lower(), "application/octet-stream"),
        )
        form.add_field("model", self.model)
        form.add_field("response_format", "json")
        if self.language:
            form.add_field("language", self.language)
        if prompt:
            form.add_field("prompt", prompt)
        url = f"{self.base_url}/audio/transcriptions"
        try:
            with anyio.fail_after(self.timeout):
                async with self._session.post(url, data=form) as resp:
                    status, headers, raw = resp.status, resp.headers, await resp.read()
        except TimeoutError:
            raise Retry(f"timeout after {self.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise Retry(f"connection error ({type(exc).__name__})") from None
        if status != 200:
            raise classify(status, headers, raw, self._pause)
        import json

        try:
            text = json.loads(raw)["text"]
        except (ValueError, KeyError, TypeError):
            raise Retry("malformed response") from None
        return str(text).strip()
