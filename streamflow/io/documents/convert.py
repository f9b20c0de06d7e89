"""Any document -> a Markdown file: PDFs, HTML/XML pages, text and Markdown, local or by URL.

:class:`DocumentConverter` is what DataFlow's ``FileOrURLToMarkdownConverter*`` operators run.
For each source it writes ``{intermediate_dir}/{name}/{engine}/{stem}.md`` (``name`` is the
file's stem plus a short hash of its path or URL, so two ``report.pdf`` in different folders
never collide) and returns its path. For a PDF it also writes ``{stem}_content_list.json``
beside it (MinerU's layout: what the PDF-to-VQA operators read).

Engines for PDFs:

- ``builtin``: streamflow's offline converter (:mod:`~streamflow.io.documents.pdf`).
- ``mineru``: the local ``mineru`` command (it needs its models installed).
- ``mineru-api``: a MinerU API (:class:`~streamflow.io.documents.mineru.MinerUAPI`).
- ``flash-mineru``: FlashMinerU's engine (GPU).
- ``auto``: ``mineru`` when the command is installed, else ``builtin``.

HTML and XML are extracted by trafilatura; ``.txt`` and ``.md`` pass through unchanged (their
own path is returned, as in DataFlow). URLs are fetched politely
(:class:`~streamflow.io.documents.fetch.PoliteFetcher`); a PDF URL is saved under
``{intermediate_dir}/downloads`` and converted like a local PDF.

Every failure raises :class:`ConversionError` naming the source (and the page, for a PDF).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio

from streamflow.errors import StreamflowError
from streamflow.io.documents.fetch import FetchError, PoliteFetcher, is_url
from streamflow.io.documents.html import html_to_markdown
from streamflow.io.documents.mineru import MinerUAPI, MinerUError, MinerUResult, mineru_installed
from streamflow.io.documents.pdf import PdfEngine, PdfError, convert_pdf
from streamflow.rows import fingerprint

__all__ = ["ConversionError", "Converted", "DocumentConverter", "Engine"]

Engine = Literal["auto", "builtin", "mineru", "mineru-api", "flash-mineru"]

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xml", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})


class ConversionError(StreamflowError):
    """One source could not be turned into Markdown."""


@dataclass(frozen=True, slots=True)
class Converted:
    source: str
    markdown_path: Path
    kind: Literal["pdf", "html", "text"]
    content_list_path: Path | None = None
    pages: int | None = None
    problems: tuple[str, ...] = ()
    """Pages that could not be read (the rest of the document was converted)."""


class DocumentConverter:
    """Converts sources one at a time; use as an async context (it holds the URL fetcher)."""

    def __init__(
        self,
        intermediate_dir: str | Path = "intermediate",
        *,
        engine: Engine = "auto",
        pdf_engine: PdfEngine = "pdfplumber",
        password: str = "",
        mineru_backend: str = "pipeline",
        mineru_source: str = "local",
        mineru_api: MinerUAPI | None = None,
        flash_engine: Any = None,
        fetcher: PoliteFetcher | None = None,
        base_dir: str | Path | None = None,
    ) -> None:
        self.intermediate_dir = Path(intermediate_dir)
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.engine = engine
        self.pdf_engine = pdf_engine
        self.password = password
        self.mineru_backend = mineru_backend
        self.mineru_source = mineru_source
        self.mineru_api = mineru_api
        self.flash_engine = flash_engine
        self.fetcher = fetcher or PoliteFetcher()
        self._entered = False

    async def __aenter__(self) -> DocumentConverter:
        await self.fetcher.__aenter__()
        self._entered = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._entered = False
        await self.fetcher.__aexit__(*exc)

    @property
    def pdf_engine_name(self) -> str:
        if self.engine == "auto":
            return "mineru" if mineru_installed() else "builtin"
        return self.engine

    async def convert(self, source: str) -> Converted:
        source = source.strip()
        if not source:
            raise ConversionError("empty source (neither a file path nor a URL)")
        if is_url(source):
            return await self._convert_url(source)
        path = Path(source)
        if self.base_dir is not None and not path.is_absolute() and not path.exists():
            path = self.base_dir / path  # a relative path not found here: the base folder
        if not path.is_file():
            raise ConversionError(f"{source}: no such file")
        suffix = path.suffix.lower()
        name = self._name(path.stem, str(path.resolve()))
        if suffix in TEXT_SUFFIXES:
            return Converted(source, path, "text")
        if suffix in HTML_SUFFIXES:
            html = await anyio.Path(path).read_bytes()
            return await self._html(source, _decode(html, None), name, None)
        if suffix in PDF_SUFFIXES or suffix in IMAGE_SUFFIXES:
            return await self._pdf(source, path, name)
        known = sorted(PDF_SUFFIXES | IMAGE_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES)
        raise ConversionError(f"{source}: unsupported file type {suffix!r} (known: {known})")

    # -- kinds -----------------------------------------------------------------------------

    async def _convert_url(self, url: str) -> Converted:
        if not self._entered:
            raise RuntimeError("use DocumentConverter as 'async with' to convert URLs")
        try:
            fetched = await self.fetcher.fetch(url)
        except FetchError as exc:
            raise ConversionError(str(exc)) from None
        tail = Path(urlsplit(fetched.final_url).path).name or "index"
        name = self._name(Path(tail).stem or "page", url)
        kind = fetched.content_type.lower()
        if kind == "application/pdf" or fetched.body.startswith(b"%PDF-"):
            target = self.intermediate_dir / "downloads" / f"{name}.pdf"
            await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
            await anyio.Path(target).write_bytes(fetched.body)
            converted = await self._pdf(url, target, name)
            return converted
        text = _decode(fetched.body, fetched.charset)
        if kind in ("text/plain", "text/markdown", "text/x-markdown"):
            return await self._write(url, text, name, "text", "text")
        return await self._html(url, text, name, fetched.final_url)

    async def _html(self, source: str, html: str, name: str, url: str | None) -> Converted:
        markdown = await anyio.to_thread.run_sync(lambda: html_to_markdown(html, url=url))
        if not markdown:
            raise ConversionError(f"{source}: no main text found in the page")
        return await self._write(source, markdown, name, "trafilatura", "html")

    async def _pdf(self, source: str, path: Path, name: str) -> Converted:
        engine = self.pdf_engine_name
        out = self.intermediate_dir / name / engine
        if engine == "builtin":
            if path.suffix.lower() in IMAGE_SUFFIXES:
                raise ConversionError(f"{source}: images need OCR: use engine='mineru' or an API")
            try:
                pdf = await anyio.to_thread.run_sync(
                    lambda: convert_pdf(path, password=self.password, engine=self.pdf_engine)
                )
            except PdfError as exc:
                raise ConversionError(f"{source}: {exc.where}: {exc.reason}") from None
            if not pdf.markdown.strip():
                raise ConversionError(f"{source}: the PDF holds no text ({pdf.pages} pages)")
            target = out / f"{path.stem}.md"
            content_list = out / f"{path.stem}_content_list.json"

            def write() -> None:
                out.mkdir(parents=True, exist_ok=True)
                target.write_text(pdf.markdown, encoding="utf-8")
                content_list.write_text(json.dumps(pdf.items, ensure_ascii=False), "utf-8")

            await anyio.to_thread.run_sync(write)
            problems = tuple(f"page {p.number}: {p.reason}" for p in pdf.problems)
            return Converted(source, target, "pdf", content_list, pdf.pages, problems)
        try:
            result = await self._mineru(engine, path, out)
        except MinerUError as exc:
            raise ConversionError(f"{source}: {exc}") from None
        return Converted(source, result.markdown, "pdf", result.content_list)

    async def _mineru(self, engine: str, path: Path, out: Path) -> MinerUResult:
        if engine == "mineru":
            from streamflow.io.documents.mineru import run_mineru_cli

            backend, source = self.mineru_backend, self.mineru_source
            return await anyio.to_thread.run_sync(
                lambda: run_mineru_cli(path, out, backend=backend, source=source)
            )
        if engine == "mineru-api":
            if self.mineru_api is None:
                raise MinerUError("engine 'mineru-api' needs a MinerUAPI")
            return await self.mineru_api.extract(path, out)
        if engine == "flash-mineru":
            if self.flash_engine is None:
                raise MinerUError("engine 'flash-mineru' needs a FlashMinerU engine")
            from streamflow.io.documents.mineru import find_result

            engine_ = self.flash_engine
            await anyio.to_thread.run_sync(lambda: engine_.run([str(path)]))
            return find_result(self.intermediate_dir / path.stem, path.stem)
        raise MinerUError(f"unknown engine {engine!r}")

    async def _write(self, source: str, text: str, name: str, engine: str, kind: Any) -> Converted:
        target = self.intermediate_dir / name / engine / f"{name}.md"
        await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
        await anyio.Path(target).write_text(text, encoding="utf-8")
        return Converted(source, target, kind)

    def _name(self, stem: str, key: str) -> str:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80] or "doc"
        return f"{safe}_{fingerprint(key, 8)}"


def _decode(data: bytes, charset: str | None) -> str:
    from streamflow.io.html import decode_html

    return decode_html(data, charset)
