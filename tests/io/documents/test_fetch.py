"""Polite fetching against a loopback site: robots.txt, user agent, limits, retries."""

from __future__ import annotations

import pytest
from doc_fixtures import *  # noqa: F403 (the fixtures: PDFs of each kind, a loopback site)

from streamflow.io.documents.fetch import FetchError, PoliteFetcher, default_user_agent, is_url


async def test_fetches_with_an_honest_user_agent_after_robots(site) -> None:
    async with PoliteFetcher(min_delay=0) as fetcher:
        page = await fetcher.fetch(f"{site.base}/article.html")
    assert page.status == 200 and page.content_type == "text/html"
    assert b"Tide Tables of Aldermoor" in page.body
    assert site.hits["/robots.txt"] == 1
    assert set(site.user_agents) == {default_user_agent()}
    assert default_user_agent().startswith("streamflow/")


async def test_robots_disallow_is_obeyed(site) -> None:
    async with PoliteFetcher(min_delay=0) as fetcher:
        with pytest.raises(FetchError, match=r"disallowed by robots\.txt"):
            await fetcher.fetch(f"{site.base}/private/secret.html")
    assert "/private/secret.html" not in site.hits


async def test_size_limit_and_errors_are_named(site) -> None:
    async with PoliteFetcher(min_delay=0, max_bytes=10_000) as fetcher:
        with pytest.raises(FetchError, match="too large") as err:
            await fetcher.fetch(f"{site.base}/huge.bin")
        assert err.value.url.endswith("/huge.bin")
        with pytest.raises(FetchError, match="HTTP 404"):
            await fetcher.fetch(f"{site.base}/missing.html")


async def test_busy_server_is_retried_after_retry_after(site) -> None:
    async with PoliteFetcher(min_delay=0) as fetcher:
        page = await fetcher.fetch(f"{site.base}/busy.html")
    assert page.status == 200 and site.hits["/busy.html"] == 2


async def test_requests_to_one_host_are_spaced(site) -> None:
    import time

    async with PoliteFetcher(min_delay=0.2) as fetcher:
        started = time.monotonic()
        await fetcher.fetch(f"{site.base}/article.html")
        await fetcher.fetch(f"{site.base}/notes.txt")
        assert time.monotonic() - started >= 0.2


def test_is_url() -> None:
    assert is_url("https://example.org/a.pdf") and not is_url("/data/a.pdf")
    assert not is_url("ftp://example.org/a") and not is_url("report.pdf")
