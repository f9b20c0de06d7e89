"""Fetching URLs politely: robots.txt, an honest user agent, timeouts, size limits, pacing.

:class:`PoliteFetcher` is what the document converters use for URL inputs:

- **robots.txt** of each host is read once (a missing one allows everything; one that cannot be
  fetched for a server error disallows, as RFC 9309 says) and obeyed for our user agent,
  including its ``Crawl-delay``.
- **User agent**: ``streamflow/<version> (LLM data preparation; obeys robots.txt)``, or yours.
- **Pacing**: one request at a time per host, at least ``min_delay`` seconds apart (or the
  crawl delay, if longer); different hosts proceed in parallel.
- **Limits**: ``timeout`` seconds per request, ``max_bytes`` per body (a larger body is an
  error, not a silent truncation), redirects capped.
- **Retries**: a 429 or 503 is retried after its ``Retry-After`` (capped), other 5xx and
  connection errors after a short backoff; 4xx is final.

Every failure raises :class:`FetchError` naming the URL and the reason, which the converters
turn into the row's dead letter.
"""

from __future__ import annotations

import time
import urllib.robotparser
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import anyio

from streamflow.errors import StreamflowError

__all__ = ["FetchError", "Fetched", "PoliteFetcher", "default_user_agent", "is_url"]


def default_user_agent() -> str:
    try:
        ours = version("streamflow-data")
    except PackageNotFoundError:
        ours = "dev"
    return f"streamflow/{ours} (LLM data preparation; obeys robots.txt)"


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (anything else is taken for a file path)."""
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class FetchError(StreamflowError):
    """A URL that could not be fetched; ``reason`` is short and stable."""

    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(f"{url}: {reason}")


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes


@dataclass(slots=True)
class _Host:
    lock: anyio.Lock
    robots: urllib.robotparser.RobotFileParser | None = None
    next_at: float = 0.0


class PoliteFetcher:
    """An aiohttp client that fetches like a well-behaved crawler. Use as an async context."""

    def __init__(
        self,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        max_bytes: int = 50 * 2**20,
        min_delay: float = 1.0,
        max_crawl_delay: float = 30.0,
        retries: int = 2,
        max_redirects: int = 5,
        obey_robots: bool = True,
    ) -> None:
        self.user_agent = user_agent or default_user_agent()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.min_delay = min_delay
        self.max_crawl_delay = max_crawl_delay
        self.retries = retries
        self.max_redirects = max_redirects
        self.obey_robots = obey_robots
        self._hosts: dict[str, _Host] = {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PoliteFetcher:
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self.user_agent},
            timeout=aiohttp.ClientTimeout(total=None),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str) -> Fetched:
        """GET ``url`` once robots.txt allows it and the host's turn has come."""
        if not is_url(url):
            raise FetchError(url, "not an http(s) URL")
        parts = urlsplit(url)
        host = self._hosts.setdefault(parts.netloc, _Host(anyio.Lock()))
        async with host.lock:
            if self.obey_robots:
                if host.robots is None:
                    host.robots = await self._robots(parts.scheme, parts.netloc)
                if not host.robots.can_fetch(self.user_agent, url):
                    raise FetchError(url, "disallowed by robots.txt")
            attempt = 0
            while True:
                await self._wait_turn(host)
                try:
                    return await self._get(url)
                except _Retry as retry:
                    attempt += 1
                    if attempt > self.retries:
                        raise FetchError(
                            url, f"gave up after {attempt} attempts: {retry}"
                        ) from None
                    host.next_at = max(host.next_at, time.monotonic() + retry.after)

    async def _wait_turn(self, host: _Host) -> None:
        delay = self.min_delay
        if host.robots is not None:
            crawl = host.robots.crawl_delay(self.user_agent)
            if crawl is not None:
                delay = max(delay, min(float(crawl), self.max_crawl_delay))
        while (wait := host.next_at - time.monotonic()) > 0:
            await anyio.sleep(wait)
        host.next_at = time.monotonic() + delay

    async def _robots(self, scheme: str, netloc: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser()
        url = urlunsplit((scheme, netloc, "/robots.txt", "", ""))
        try:
            fetched = await self._get(url, robots=True)
        except (_Retry, FetchError):
            # the server is failing: do not crawl it (RFC 9309)
            parser.disallow_all = True  # type: ignore[attr-defined]
            return parser
        if fetched.status >= 400:
            parser.allow_all = True  # type: ignore[attr-defined]  # no robots.txt
            return parser
        parser.parse(fetched.body.decode("utf-8", "replace").splitlines())
        return parser

    async def _get(self, url: str, *, robots: bool = False) -> Fetched:
        assert self._session is not None, "use PoliteFetcher as 'async with'"
        try:
            with anyio.fail_after(self.timeout):
                async with self._session.get(url, max_redirects=self.max_redirects) as resp:
                    status = resp.status
                    if status in (429, 503) or status >= 500:
                        after = _retry_after(resp.headers.get("Retry-After"))
                        raise _Retry(f"HTTP {status}", min(after, self.max_crawl_delay))
                    if status >= 400 and not robots:
                        raise FetchError(url, f"HTTP {status}")
                    declared = resp.content_length
                    if declared is not None and declared > self.max_bytes:
                        raise FetchError(url, f"too large: {declared} bytes > {self.max_bytes}")
                    body = bytearray()
                    async for block in resp.content.iter_chunked(1 << 16):
                        body += block
                        if len(body) > self.max_bytes:
                            raise FetchError(url, f"too large: over {self.max_bytes} bytes")
                    return Fetched(
                        url,
                        str(resp.url),
                        status,
                        resp.content_type or "",
                        resp.charset,
                        bytes(body),
                    )
        except TimeoutError:
            raise _Retry(f"timeout after {self.timeout:g}s", 1.0) from None
        except aiohttp.TooManyRedirects:
            raise FetchError(url, f"more than {self.max_redirects} redirects") from None
        except aiohttp.ClientError as exc:
            raise _Retry(f"connection error ({type(exc).__name__})", 1.0) from None


class _Retry(Exception):
    def __init__(self, reason: str, after: float) -> None:
        super().__init__(reason)
        self.after = after


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0
