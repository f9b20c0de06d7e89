"""A backend for any OpenAI-compatible chat API: OpenAI, ``vllm serve``, SGLang, proxies.

Long paid jobs meet rate limits, overloaded servers and flaky networks, so every request here is
governed by: the admission limit (``max_concurrency`` requests in flight, from the base class),
request- and token-per-minute buckets, a per-attempt timeout, retries with jittered exponential
backoff that wait at least as long as the server's ``Retry-After``, and a total deadline. A
failure that a retry cannot fix (a bad request, a prompt over the context length, a content
filter, an exhausted quota) raises :class:`LLMRequestError` at once, with a short stable reason,
so its row goes to the dead letters and the run goes on.

Built on aiohttp, so it runs on anyio's asyncio backend.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import anyio

from streamflow.serving.base import (
    Completion,
    LLMRequestError,
    LLMServing,
    Message,
    SamplingParams,
    ServerPausedError,
    ServingStartError,
    Usage,
)
from streamflow.serving.hedging import DEFAULT_HEDGING, Hedging
from streamflow.serving.tokens import estimate_tokens

_RETRY_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))
_CONTEXT_TOO_LONG = re.compile(
    r"context[ _](length|window)|maximum context|too many tokens|prompt is too long"
    r"|input is too long|maximum input length",
    re.IGNORECASE,
)
_CONTENT_FILTER = re.compile(r"content[ _](filter|policy|management)", re.IGNORECASE)


class TokenBucket:
    """``per_minute`` units a minute, with at most one second's worth saved up.

    A small burst keeps the rate smooth over any window, which is how providers enforce their
    limits. A take larger than the burst waits for a full bucket and leaves it in debt, so one
    large request is never stuck; waiters are served in arrival order.
    """

    def __init__(self, per_minute: float) -> None:
        if per_minute <= 0:
            raise ValueError(f"a rate limit must be positive, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self._updated = time.monotonic()
        self._lock = anyio.Lock()

    async def take(self, amount: float) -> None:
        async with self._lock:
            need = min(amount, self.capacity)
            self._refill()
            while self.level < need:
                await anyio.sleep((need - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def give_back(self, amount: float) -> None:
        """Return units taken in excess (or, with a negative amount, charge what was missed)."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self._updated) * self.rate)
        self._updated = now


class _Retryable(Exception):
    """An attempt that failed in a way another attempt may not."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OpenAIServing(LLMServing):
    """Chat completions from ``{base_url}/chat/completions``.

    - ``model=None`` takes the first model the server lists (handy with ``vllm serve``).
    - The API key is read from the environment variable ``api_key_env`` at start, never passed
      as an argument, so it stays out of configs, fingerprints and logs. A loopback server
      needs none.
    - ``timeout`` bounds one attempt; ``deadline`` bounds the whole request from admission:
      rate-limit waits, attempts and backoff. ``max_retries`` counts attempts after the first.
    - A 429 with ``Retry-After`` pauses every request of this serving, not just the one that
      got it: the server is telling the whole client to slow down.
    - ``json_schema`` is sent as ``response_format`` (``json_schema``, strict), which vLLM and
      SGLang enforce with structured decoding.
    - Costs per token feed the run's cost figures; usage comes from the response (estimated
      when a server reports none).
    - ``hedging``: a request that straggles (three times the recent median latency, by
      default) while a place is idle is sent again, and the first answer wins; at most 2% of
      requests are copied (:mod:`streamflow.serving.hedging`). ``hedging=None`` sends no copies.
    """

    def __init__(
        self,
        model: str | None = None,
        base_url: str = "https://api.openai.com/v1",
        *,
        api_key_env: str = "OPENAI_API_KEY",
        max_concurrency: int = 32,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        max_retries: int = 5,
        timeout: float = 120.0,
        deadline: float = 600.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        cost_per_prompt_token: float = 0.0,
        cost_per_completion_token: float = 0.0,
        params: SamplingParams | None = None,
        hedging: Hedging | None = DEFAULT_HEDGING,
    ) -> None:
        super().__init__(max_in_flight=max_concurrency, params=params, hedging=hedging)
        self.model = model or ""
        self._model_arg = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.max_retries = max_retries
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.cost_per_prompt_token = cost_per_prompt_token
        self.cost_per_completion_token = cost_per_completion_token
        self._requests = TokenBucket(requests_per_minute) if requests_per_minute else None
        self._tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None
        self._paused_until = 0.0
        self._pause_header = ""
        """The server's Retry-After behind ``_paused_until``, as sent (quoted when stopping)."""
        self._session: aiohttp.ClientSession | None = None
        self._start_lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"OpenAIServing(model={self._model_arg!r}, base_url={self.base_url!r})"

    def fingerprint(self) -> str:
        """What answers depend on, for resume: server, model and sampling, not limits or costs."""
        return f"{self!r}, {self.params!r}"

    # -- lifecycle ---------------------------------------------------------------------------

    async def _start(self) -> None:
        key = os.environ.get(self.api_key_env)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._session = aiohttp.ClientSession(
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=None),  # timeouts are ours, per attempt
            connector=aiohttp.TCPConnector(limit=self.max_in_flight),
        )
        try:
            await self._probe(have_key=bool(key))
        except BaseException:
            await self._session.close()
            self._session = None
            raise

    async def _aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _probe(self, have_key: bool) -> None:
        """Fail at start, not on every row: unreachable server, rejected key, unknown model."""
        assert self._session is not None
        url = f"{self.base_url}/models"
        try:
            with anyio.fail_after(min(self.timeout, 30.0)):
                async with self._session.get(url) as resp:
                    status, body = resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            raise ServingStartError(f"cannot reach {url}: {reason}") from exc
        if status in (401, 403):
            hint = "is rejected" if have_key else "is not set"
            raise ServingStartError(
                f"{self.base_url} refused the request (HTTP {status}): the API key in "
                f"${self.api_key_env} {hint}"
            )
        if self.model:
            return
        try:
            listed = _json(body).get("data") if status == 200 else None
        except _Retryable:
            listed = None
        if not listed:
            raise ServingStartError(
                f"no model given and {url} lists none (HTTP {status}); pass model=..."
            )
        self.model = str(listed[0]["id"])

    # -- requests ----------------------------------------------------------------------------

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        if self._session is None:  # used outside a pipeline, which starts its servings
            async with self._start_lock:
                await self.start()
        body = self._body(messages, json_schema, params)
        estimate = sum(estimate_tokens(_content_text(m["content"])) + 4 for m in messages)
        budget = estimate + params.max_tokens * params.n
        attempts = 0
        last = "waiting for the rate limits"
        with anyio.move_on_after(self.deadline):
            ends = time.monotonic() + self.deadline
            while True:
                if self._paused_until > ends:  # a pause no request can outwait
                    raise self._paused(self._paused_until - time.monotonic())
                attempts += 1
                await self._wait_turn(budget)
                try:
                    completion = await self._attempt(body, estimate)
                except _Retryable as retry:
                    self._refund(budget)
                    last = retry.reason
                    if attempts > self.max_retries:
                        raise LLMRequestError(
                            f"gave up after {attempts} attempts: {last}", transient=True
                        ) from None
                    delay = self._delay(attempts, retry.retry_after)
                    if time.monotonic() + delay > ends:
                        break
                    await anyio.sleep(delay)
                    continue
                except (LLMRequestError, ServerPausedError):
                    self._refund(budget)
                    raise
                usage = completion.usage
                self._refund(budget - usage.prompt_tokens - usage.completion_tokens)
                return completion
        raise LLMRequestError(
            f"deadline {self.deadline:g}s exceeded after {attempts} attempts: {last}",
            transient=True,
        )

    async def _wait_turn(self, tokens: int) -> None:
        """Wait out a server-requested pause, then take from the rate buckets."""
        while (pause := self._paused_until - time.monotonic()) > 0:  # timers may fire early
            await anyio.sleep(pause)
        if self._requests is not None:
            await self._requests.take(1)
        if self._tokens is not None:
            await self._tokens.take(tokens)

    def _refund(self, tokens: int) -> None:
        """Tokens are charged for answers only: settle the estimate against the usage."""
        if self._tokens is not None:
            self._tokens.give_back(tokens)

    async def _attempt(self, body: dict[str, Any], prompt_estimate: int) -> Completion:
        assert self._session is not None
        try:
            with anyio.fail_after(self.timeout):
                async with self._session.post(f"{self.base_url}/chat/completions", json=body) as r:
                    status, headers, raw = r.status, r.headers, await r.read()
        except TimeoutError:
            raise _Retryable(f"timeout after {self.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise _Retryable(f"connection error ({type(exc).__name__})") from None
        if status == 200:
            return _completion(raw, prompt_estimate)
        error = _error(raw)
        if status in _RETRY_STATUS and error.get("code") != "insufficient_quota":
            retry_after = _retry_after(headers)
            if status == 429 and retry_after is not None:
                until = time.monotonic() + retry_after
                if until > self._paused_until:
                    self._paused_until = until
                    self._pause_header = _retry_after_header(headers)
                if retry_after > self.deadline:
                    raise self._paused(retry_after)
            raise _Retryable(f"HTTP {status}", retry_after)
        raise LLMRequestError(_final_reason(status, error))

    def _paused(self, seconds: float) -> ServerPausedError:
        return ServerPausedError(self.base_url, self._pause_header, seconds, self.deadline)

    def _delay(self, attempts: int, retry_after: float | None) -> float:
        """Equal-jitter exponential backoff, never shorter than the server's Retry-After."""
        cap = min(self.max_backoff, self.backoff * 2.0 ** (attempts - 1))
        delay = cap / 2 + random.uniform(0, cap / 2)
        return delay if retry_after is None else retry_after + delay / 2

    def _body(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "n": params.n,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if json_schema is not None:
            name = re.sub(r"[^A-Za-z0-9_-]", "_", str(json_schema.get("title", "response")))
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name[:64], "schema": json_schema, "strict": True},
            }
        return body


def _content_text(content: Any) -> str:
    """A message's text: the string, or the text parts of a multimodal content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def _completion(raw: bytes, prompt_estimate: int) -> Completion:
    """Parse a 200 answer; a body that is not a chat completion is retryable ("malformed")."""
    payload = _json(raw)
    try:
        choices = sorted(payload["choices"], key=lambda c: c.get("index", 0))
        contents = [c["message"]["content"] for c in choices]
        finish = [str(c.get("finish_reason") or "") for c in choices]
    except (KeyError, TypeError, AttributeError):
        raise _Retryable("malformed response") from None
    if not contents:
        raise _Retryable("malformed response")
    if all(f == "content_filter" for f in finish) and not any(contents):
        raise LLMRequestError("content filter")
    texts = [_answer_text(c, reason) for c, reason in zip(contents, finish, strict=True)]
    usage = payload.get("usage") or {}
    try:
        prompt_tokens = int(usage["prompt_tokens"])
        completion_tokens = int(usage["completion_tokens"])
    except (KeyError, TypeError, ValueError):
        prompt_tokens = prompt_estimate
        completion_tokens = sum(estimate_tokens(t) for t in texts)
    return Completion(texts, Usage(prompt_tokens, completion_tokens), finish)


def _answer_text(content: Any, finish_reason: str) -> str:
    """An answer's text: a string, or the text parts of a list of content parts.

    Anything else fails the request with a reason saying what came instead; ``null`` is not
    an empty answer (a tool call, a refusal, a reasoning model that spent its tokens thinking).
    """
    if isinstance(content, str):
        return content
    why = f"finish_reason {finish_reason!r}" if finish_reason else "no finish_reason"
    if content is None:
        raise LLMRequestError(f"the answer has no text (content null; {why})")
    if isinstance(content, list) and all(
        isinstance(p, dict) and isinstance(p.get("text"), str) for p in content
    ):
        return "".join(p["text"] for p in content)
    raise LLMRequestError(
        f"the answer's content is a {type(content).__name__}, not text ({why}): "
        f"{json.dumps(content)[:80]}"
    )


def _retry_after_header(headers: Mapping[str, str]) -> str:
    """The Retry-After the server sent, as it sent it (``retry-after-ms`` marked as such)."""
    value = headers.get("Retry-After")
    if value is not None:
        return value
    return f"{headers.get('retry-after-ms', '?')} ms"


def _json(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except ValueError:
        raise _Retryable("malformed response") from None
    if not isinstance(payload, dict):
        raise _Retryable("malformed response")
    return payload


def _error(raw: bytes) -> dict[str, Any]:
    """The ``{"message", "code", "type"}`` of an error body, whatever its shape."""
    try:
        payload = json.loads(raw)
    except ValueError:
        return {"message": raw.decode("utf-8", "replace")}
    if isinstance(payload, dict):
        inner = payload.get("error", payload)
        return inner if isinstance(inner, dict) else {"message": str(inner)}
    return {"message": str(payload)}


def _final_reason(status: int, error: Mapping[str, Any]) -> str:
    """A short, stable reason, so dead letters group by it."""
    message = " ".join(str(error.get("message", "")).split())
    code = str(error.get("code") or "")
    if code == "context_length_exceeded" or _CONTEXT_TOO_LONG.search(message):
        return "context too long"
    if code in ("content_filter", "content_policy_violation") or _CONTENT_FILTER.search(message):
        return "content filter"
    if code == "insufficient_quota":
        return "quota exceeded"
    return f"HTTP {status}: {message[:120]}" if message else f"HTTP {status}"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` in seconds or an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
