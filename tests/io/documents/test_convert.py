"""Any file or URL -> a Markdown file: PDFs, HTML, text, the MinerU API, and failures named."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from doc_fixtures import *  # noqa: F403 (the fixtures: PDFs of each kind, a loopback site)

from streamflow.io.documents.convert import ConversionError, DocumentConverter
from streamflow.io.documents.fetch import PoliteFetcher
from streamflow.io.documents.mineru import MinerUAPI


def converter(tmp_path: Path, **kwargs: Any) -> DocumentConverter:
    return DocumentConverter(
        tmp_path / "md", engine="builtin", fetcher=PoliteFetcher(min_delay=0), **kwargs
    )


async def test_local_pdf_html_and_text(tmp_path: Path, text_pdf: Path) -> None:
    html = tmp_path / "tides.html"
    from doc_fixtures import ARTICLE

    html.write_text(ARTICLE)
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n")
    async with converter(tmp_path) as conv:
        pdf = await conv.convert(str(text_pdf))
        page = await conv.convert(str(html))
        text = await conv.convert(str(notes))
    assert pdf.kind == "pdf" and pdf.pages == 3
    assert pdf.markdown_path.read_text().startswith("<!-- page 1 -->\n# Lighthouses of the North")
    assert pdf.markdown_path.parent.parent.name.startswith("lighthouses_")
    assert pdf.content_list_path is not None
    items = json.loads(pdf.content_list_path.read_text())
    assert [i["page_idx"] for i in items if i["type"] == "table"] == [2]
    markdown = page.markdown_path.read_text()
    assert markdown.startswith("# Tide Tables of Aldermoor") and "## Currents" in markdown
    assert "Home | About" not in markdown and "harbour board" not in markdown
    assert text.markdown_path == notes


async def test_urls_pdf_and_html(tmp_path: Path, site) -> None:
    async with converter(tmp_path) as conv:
        pdf = await conv.convert(f"{site.base}/report.pdf")
        page = await conv.convert(f"{site.base}/article.html")
        notes = await conv.convert(f"{site.base}/notes.txt")
    assert pdf.kind == "pdf" and "Margit Holm" in pdf.markdown_path.read_text()
    assert (tmp_path / "md" / "downloads").is_dir()
    assert "spring range reaches four point two metres" in page.markdown_path.read_text()
    assert notes.markdown_path.read_text() == "plain notes\n"


async def test_failures_name_the_source(
    tmp_path: Path, site, encrypted_pdf: Path, scanned_pdf: Path
) -> None:
    async with converter(tmp_path) as conv:
        for source, words in (
            (str(tmp_path / "absent.pdf"), "no such file"),
            (str(encrypted_pdf), "encrypted"),
            (str(scanned_pdf), "no text layer"),
            (f"{site.base}/private/x.html", "disallowed by robots.txt"),
            (f"{site.base}/gone.html", "HTTP 404"),
        ):
            with pytest.raises(ConversionError) as err:
                await conv.convert(source)
            assert source in str(err.value) and words in str(err.value)


async def test_mineru_api_request_shapes(tmp_path: Path, text_pdf: Path) -> None:
    """A loopback MinerU API: batch upload URLs, PUT, polling, a result ZIP with full.md."""
    from aiohttp import web

    seen: dict[str, Any] = {"polls": 0}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("full.md", "# From MinerU\n\nbody\n")
        zf.writestr("lighthouses_content_list.json", json.dumps([{"type": "text", "text": "x"}]))

    async def batch(request: web.Request) -> web.Response:
        seen["auth"] = request.headers.get("Authorization")
        seen["batch"] = await request.json()
        base = f"http://{request.host}"
        return web.json_response(
            {"code": 0, "data": {"batch_id": "b1", "file_urls": [f"{base}/upload/0"]}}
        )

    async def upload(request: web.Request) -> web.Response:
        seen["uploaded"] = await request.read()
        return web.Response()

    async def results(request: web.Request) -> web.Response:
        seen["polls"] += 1
        state = "running" if seen["polls"] == 1 else "done"
        item = {"data_id": "0", "state": state, "full_zip_url": f"http://{request.host}/zip"}
        return web.json_response({"code": 0, "data": {"extract_result": [item]}})

    async def download(request: web.Request) -> web.Response:
        return web.Response(body=archive.getvalue())

    app = web.Application()
    app.router.add_post("/api/v4/file-urls/batch", batch)
    app.router.add_put("/upload/0", upload)
    app.router.add_get("/api/v4/extract-results/batch/b1", results)
    app.router.add_get("/zip", download)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        api = MinerUAPI("k-123", base_url=f"http://127.0.0.1:{port}/api/v4", poll_interval=0)
        conv = DocumentConverter(tmp_path / "md", engine="mineru-api", mineru_api=api)
        done = await conv.convert(str(text_pdf))
    finally:
        await runner.cleanup()
    assert seen["auth"] == "Bearer k-123"
    assert seen["batch"] == {
        "files": [{"name": "lighthouses.pdf", "data_id": "0"}],
        "model_version": "vlm",
    }
    assert seen["uploaded"] == text_pdf.read_bytes() and seen["polls"] == 2
    assert done.markdown_path.read_text() == "# From MinerU\n\nbody\n"
    assert done.content_list_path is not None and done.content_list_path.name.endswith(
        "_content_list.json"
    )
