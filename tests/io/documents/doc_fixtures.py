from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pdf_samples as pdfs
import pytest
import pytest_asyncio


@pytest.fixture
def text_pdf(tmp_path: Path) -> Path:
    return pdfs.text_pdf(tmp_path / "lighthouses.pdf")


@pytest.fixture
def encrypted_pdf(tmp_path: Path) -> Path:
    return pdfs.text_pdf(tmp_path / "locked.pdf", encrypt="secret")


@pytest.fixture
def scanned_pdf(tmp_path: Path) -> Path:
    return pdfs.scanned_pdf(tmp_path / "scanned.pdf")


@pytest.fixture
def corrupted_pdf(tmp_path: Path) -> Path:
    return pdfs.corrupted_pdf(tmp_path / "corrupted.pdf")


@pytest.fixture
def bad_page_pdf(tmp_path: Path) -> Path:
    return pdfs.bad_page_pdf(tmp_path / "bad-page.pdf")


class Site:
    """A loopback web site: a page, a PDF, robots.txt rules, a busy and an oversized URL."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.user_agents: list[str] = []
        self.hits: dict[str, int] = {}
        self.base = ""

    def app(self) -> Any:
        from aiohttp import web

        async def handle(request: web.Request) -> web.StreamResponse:
            path = request.path
            self.user_agents.append(request.headers.get("User-Agent", ""))
            self.hits[path] = self.hits.get(path, 0) + 1
            if path == "/robots.txt":
                return web.Response(text="User-agent: *\nDisallow: /private\n")
            if path == "/article.html":
                return web.Response(text=ARTICLE, content_type="text/html")
            if path == "/report.pdf":
                return web.Response(body=self.pdf, content_type="application/pdf")
            if path == "/notes.txt":
                return web.Response(text="plain notes\n", content_type="text/plain")
            if path == "/busy.html":
                if self.hits[path] == 1:
                    return web.Response(status=503, headers={"Retry-After": "0"})
                return web.Response(text=ARTICLE, content_type="text/html")
            if path == "/huge.bin":
                return web.Response(body=b"x" * 100_000, content_type="application/octet-stream")
            return web.Response(status=404)

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        return app


ARTICLE = """<html><head><title>Tide Tables</title></head><body>
<nav>Home | About | Contact</nav>
<article><h1>Tide Tables of Aldermoor</h1>
<p>High tide at Aldermoor harbour comes about forty minutes after high tide at Skerry Point,
and the spring range reaches four point two metres at the equinoxes.</p>
<h2>Currents</h2>
<p>The ebb current runs north along the breakwater at up to three knots, which is why small
boats leave on the flood.</p></article>
<footer>Copyright the harbour board</footer></body></html>"""


@pytest_asyncio.fixture(loop_scope="function")
async def site(text_pdf: Path) -> AsyncIterator[Site]:
    from aiohttp import web

    served = Site(text_pdf.read_bytes())
    runner = web.AppRunner(served.app())
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    served.base = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        await runner.cleanup()
