"""Google's Perspective API (``comments:analyze``): a toxicity score per text, over HTTP.

The same discipline as :class:`~streamflow.serving.openai_compat.OpenAIServing`: at most
``max_workers`` requests in flight, an optional request-per-minute bucket (the API's default
quota is 1 query per second, 60 a minute), a timeout per attempt, retries with equal-jitter
exponential backoff that wait at least as long as the server's ``Retry-After``, a 429 with
``Retry-After`` pausing every request of this serving, and a total deadline per text. What a
retry cannot fix fails that text alone with a short, stable reason: a language the attribute
does not support (HTTP 400), a daily quota that is spent ("quota exceeded (daily)", marked
transient so a resumed run tries again). A rejected API key (HTTP 401/403) stops the run: every
request would fail the same way.

The key is read from the environment variable ``api_key_env`` (``GOOGLE_API_KEY``, as DataFlow)
when a request is made, and sent as the ``key`` query parameter; it never enters a config or a
log. Texts are cut to 20,480 bytes of UTF-8 (the API's limit), as DataFlow does.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import anyio

from streamflow.serving.base import LLMRequestError, ServingStartError
from streamflow.serving.openai_compat import TokenBucket, _retry_after

__all__ = ["MAX_TEXT_BYTES", "PERSPECTIVE_URL", "PerspectiveAPIServing"]

PERSPECTIVE_URL = "https://commentanalyzer.googleapis.com/v1alpha1"
MAX_TEXT_BYTES = 20480
_RETRY_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def truncated(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8, never inside a character."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


class PerspectiveAPIServing:
    """Scores texts with one Perspective attribute (``TOXICITY``); see the module docstring.

    ``generate_from_input(texts)`` is DataFlow's synchronous entry (NaN for a text that
    failed); operators use :meth:`score_all`, which returns the reason of each failure instead.
    ``languages`` (ISO 639-1 codes) is sent when given; otherwise the API detects the language.
    """

    def __init__(
        self,
        max_workers: int = 10,
        *,
        base_url: str = PERSPECTIVE_URL,
        api_key_env: str = "GOOGLE_API_KEY",
        attribute: str = "TOXICITY",
        languages: Sequence[str] | None = None,
        requests_per_minute: float | None = None,
        max_retries: int = 5,
        timeout: float = 30.0,
        deadline: float = 600.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
    ) -> None:
        self.max_workers = max_workers
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.attribute = attribute
        self.languages = list(languages) if languages else None
        self.requests_per_minute = requests_per_minute
        self.max_retries = max_retries
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._bucket = TokenBucket(requests_per_minute) if requests_per_minute else None
        self._paused_until = 0.0

    def __repr__(self) -> str:
        return f"PerspectiveAPIServing(base_url={self.base_url!r}, attribute={self.attribute!r})"

    def _key(self) -> str:
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ServingStartError(
                f"Perspective API: no API key: set ${self.api_key_env} (a Google Cloud key with "
                "the Comment Analyzer API enabled)"
            )
        return key

    # -- DataFlow's entry ------------------------------------------------------------------

    def generate_from_input(self, user_inputs: list[str]) -> list[float]:
        """Scores, with NaN where a text failed (DataFlow's contract)."""
        results = anyio.run(self.score_all, user_inputs)
        return [r if isinstance(r, float) else math.nan for r in results]

    # -- what operators use ----------------------------------------------------------------

    async def score_all(self, texts: Sequence[str]) -> list[float | LLMRequestError]:
        """Each text's score, or the :class:`LLMRequestError` that failed it, in order."""
        key = self._key()
        results: list[float | LLMRequestError] = [math.nan] * len(texts)
        fatal: list[ServingStartError] = []
        limiter = anyio.CapacityLimiter(self.max_workers)
        timeout = aiohttp.ClientTimeout(total=None)  # ours, per attempt
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            anyio.create_task_group() as tg,
        ):

            async def one(i: int, text: str) -> None:
                async with limiter:
                    try:
                        results[i] = await self._score(session, key, text)
                    except LLMRequestError as exc:
                        results[i] = exc
                    except ServingStartError as exc:  # the key: no request can succeed
                        fatal.append(exc)
                        tg.cancel_scope.cancel()

            for i, text in enumerate(texts):
                tg.start_soon(one, i, text)
        if fatal:
            raise fatal[0]
        return results

    async def _score(self, session: aiohttp.ClientSession, key: str, text: str) -> float:
        body: dict[str, Any] = {
            "comment": {"text": truncated(text)},
            "requestedAttributes": {self.attribute: {}},
            "doNotStore": True,
        }
        if self.languages:
            body["languages"] = self.languages
        attempts = 0
        last = "waiting for the rate limit"
        ends = time.monotonic() + self.deadline
        with anyio.move_on_after(self.deadline):
            while True:
                if self._paused_until > ends:
                    last = "paused by the server (HTTP 429 Retry-After)"
                    break
                while (pause := self._paused_until - time.monotonic()) > 0:
                    await anyio.sleep(pause)
                if self._bucket is not None:
                    await self._bucket.take(1)
                attempts += 1
                try:
                    return await self._attempt(session, key, body)
                except _Retry as retry:
                    last = retry.reason
                    if attempts > self.max_retries:
                        raise LLMRequestError(
                            f"gave up after {attempts} attempts: {last}", transient=True
                        ) from None
                    delay = self._delay(attempts, retry.retry_after)
                    if time.monotonic() + delay > ends:
                        break
                    await anyio.sleep(delay)
        raise LLMRequestError(
            f"deadline {self.deadline:g}s exceeded after {attempts} attempts: {last}",
            transient=True,
        )

    async def _attempt(
        self, session: aiohttp.ClientSession, key: str, body: dict[str, Any]
    ) -> float:
        url = f"{self.base_url}/comments:analyze"
        try:
            with anyio.fail_after(self.timeout):
                async with session.post(url, params={"key": key}, json=body) as resp:
                    status, headers, raw = resp.status, resp.headers, await resp.read()
        except TimeoutError:
            raise _Retry(f"timeout after {self.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise _Retry(f"connection error ({type(exc).__name__})") from None
        if status == 200:
            return self._value(raw)
        error = _error(raw)
        message = " ".join(str(error.get("message", "")).split())
        if status in (401, 403):
            raise ServingStartError(
                f"Perspective API refused the key in ${self.api_key_env} (HTTP {status}): "
                f"{message[:200]}"
            )
        if status == 429 and "per day" in message.lower():
            raise LLMRequestError("quota exceeded (daily)", transient=True)
        if status in _RETRY_STATUS:
            retry_after = _retry_after(headers)
            if status == 429 and retry_after is not None:
                self._paused_until = max(self._paused_until, time.monotonic() + retry_after)
            raise _Retry(f"HTTP {status} {error.get('status', '')}".strip(), retry_after)
        raise LLMRequestError(f"HTTP {status}: {message[:160]}" if message else f"HTTP {status}")

    def _value(self, raw: bytes) -> float:
        try:
            payload = json.loads(raw)
            scores = payload["attributeScores"][self.attribute]
            summary = scores.get("summaryScore") or scores["spanScores"][0]["score"]
            return float(summary["value"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Retry("malformed response") from None

    def _delay(self, attempts: int, retry_after: float | None) -> float:
        """Equal-jitter exponential backoff, never shorter than the server's Retry-After."""
        cap = min(self.max_backoff, self.backoff * 2 ** (attempts - 1))
        delay = cap / 2 + random.uniform(0, cap / 2)
        return float(delay if retry_after is None else retry_after + delay / 2)


def _error(raw: bytes) -> dict[str, Any]:
    """Google's ``{"error": {"code", "message", "status"}}``, whatever came back."""
    try:
        payload = json.loads(raw)
    except ValueError:
        return {"message": raw.decode("utf-8", "replace")}
    inner = payload.get("error", payload) if isinstance(payload, dict) else payload
    return inner if isinstance(inner, dict) else {"message": str(inner)}
