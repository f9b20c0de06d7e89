"""FileOrURLToMarkdownConverter{Local,API,Flash}: a file path or URL per row -> a Markdown file.

All three read ``input_key`` (DataFlow's ``source``: a local PDF, image, HTML/XML, TXT/MD path,
or an http(s) URL) and write the Markdown file's path to ``output_key`` (``text_path``), as in
DataFlow; they differ in what converts PDFs (see
:class:`~streamflow.io.documents.convert.DocumentConverter`):

- ``...Local``: the local ``mineru`` command when it is installed (DataFlow's behaviour), else
  streamflow's offline converter; ``engine=`` forces one.
- ``...API``: a MinerU API (MinerU's service by default, or ``api_url`` for your own).
- ``...Flash``: FlashMinerU when installed with a model (``mineru_model_path``), else the
  offline converter.

HTML is extracted with trafilatura, text and Markdown pass through, URLs are fetched politely
(robots.txt, an honest user agent, timeouts and size limits). A source that cannot be
converted fails its row with the reason, naming the file or URL and, for a PDF, the page
(DataFlow writes an empty path). A PDF's unreadable pages are listed in
``output_problems_key`` when that key is bound.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import anyio

from streamflow.actors.base import Generator
from streamflow.io.documents.convert import ConversionError, Converted, DocumentConverter, Engine
from streamflow.io.documents.fetch import PoliteFetcher
from streamflow.io.documents.mineru import MinerUAPI
from streamflow.rows import Failure, Row

__all__ = [
    "FileOrURLToMarkdownConverterAPI",
    "FileOrURLToMarkdownConverterFlash",
    "FileOrURLToMarkdownConverterLocal",
]


class _Converter(Generator):
    expensive: ClassVar[bool] = True
    concurrency: ClassVar[int] = 4

    base_dir: str | None = None
    """Where a relative path in ``input_key`` that the working directory lacks is looked for."""

    def _setup(
        self, intermediate_dir: str, user_agent: str | None, timeout: float, max_bytes: int
    ) -> None:
        self.intermediate_dir = intermediate_dir
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes

    def _converter(self) -> DocumentConverter:
        raise NotImplementedError

    def _fetcher(self) -> PoliteFetcher:
        return PoliteFetcher(
            user_agent=self.user_agent, timeout=self.timeout, max_bytes=self.max_bytes
        )

    async def process(
        self,
        rows: list[Row],
        input_key: str = "source",
        output_key: str = "text_path",
        output_problems_key: str | None = None,
    ) -> list[Row | Failure]:
        results: list[Converted | Failure | None] = [None] * len(rows)
        limiter = anyio.CapacityLimiter(self.concurrency)

        async def one(i: int, converter: DocumentConverter) -> None:
            source = rows[i].get(input_key)
            if not isinstance(source, str) or not source.strip():
                results[i] = Failure(f"field {input_key!r} holds no file path or URL")
                return
            async with limiter:
                try:
                    results[i] = await converter.convert(source)
                except ConversionError as exc:
                    results[i] = Failure(str(exc))

        async with self._converter() as converter, anyio.create_task_group() as tg:
            for i in range(len(rows)):
                tg.start_soon(one, i, converter)
        out: list[Row | Failure] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, Failure) or result is None:
                out.append(result or Failure("not converted"))
                continue
            new = {**row, output_key: str(result.markdown_path)}
            if output_problems_key is not None:
                new[output_problems_key] = list(result.problems)
            out.append(new)
        return out


class FileOrURLToMarkdownConverterLocal(_Converter):
    """Converts with the local ``mineru`` command when installed, else offline (see module).

    DataFlow's parameters keep their meaning for MinerU (``mineru_backend``, ``mineru_source``,
    ``mineru_model_path``); ``engine`` ("auto", "builtin", "mineru"), ``pdf_engine``
    ("pdfplumber" or the AGPL "pymupdf4llm") and ``password`` are streamflow's.
    """

    def __init__(
        self,
        intermediate_dir: str = "intermediate",
        mineru_backend: str = "vlm-auto-engine",
        mineru_source: str = "local",
        mineru_model_path: str | None = None,
        mineru_download_model_type: str = "vlm",
        *,
        engine: Engine = "auto",
        pdf_engine: str = "pdfplumber",
        password: str = "",
        user_agent: str | None = None,
        timeout: float = 30.0,
        max_bytes: int = 50 * 2**20,
        base_dir: str | None = None,
    ) -> None:
        self.base_dir = base_dir
        if engine not in ("auto", "builtin", "mineru"):
            raise ValueError(f"engine must be auto, builtin or mineru, not {engine!r}")
        self._setup(intermediate_dir, user_agent, timeout, max_bytes)
        self.mineru_backend = mineru_backend
        self.mineru_source = mineru_source
        self.mineru_model_path = mineru_model_path
        self.mineru_download_model_type = mineru_download_model_type
        self.engine: Engine = engine
        self.pdf_engine = pdf_engine
        self.password = password

    def _converter(self) -> DocumentConverter:
        if self.mineru_model_path:
            os.environ.setdefault("MINERU_MODEL_SOURCE", self.mineru_source)
        return DocumentConverter(
            self.intermediate_dir,
            engine=self.engine,
            pdf_engine=self.pdf_engine,  # type: ignore[arg-type]
            password=self.password,
            mineru_backend=self.mineru_backend,
            mineru_source=self.mineru_source,
            fetcher=self._fetcher(),
            base_dir=self.base_dir,
        )


class FileOrURLToMarkdownConverterAPI(_Converter):
    """Converts PDFs and images through a MinerU API; HTML, text and URLs as the others do.

    ``api_key`` falls back to ``$MINERU_API_KEY``; without either, only a self-hosted
    ``api_url`` (which may need no key) is accepted. ``mineru_backend`` is the API's
    ``model_version`` ("vlm" or "pipeline").
    """

    concurrency: ClassVar[int] = 2

    def __init__(
        self,
        intermediate_dir: str = "intermediate",
        mineru_backend: str = "vlm",
        api_key: str | None = None,
        *,
        api_url: str = "https://mineru.net/api/v4",
        poll_interval: float = 5.0,
        api_timeout: float = 1800.0,
        user_agent: str | None = None,
        timeout: float = 30.0,
        max_bytes: int = 50 * 2**20,
        base_dir: str | None = None,
    ) -> None:
        self.base_dir = base_dir
        key = (api_key or os.environ.get("MINERU_API_KEY") or "").strip()
        if not key and api_url.rstrip("/") == "https://mineru.net/api/v4":
            raise ValueError(
                "FileOrURLToMarkdownConverterAPI needs a MinerU API key: pass api_key=... or "
                "set MINERU_API_KEY (https://mineru.net/apiManage/token), or give api_url of "
                "your own MinerU API"
            )
        self._setup(intermediate_dir, user_agent, timeout, max_bytes)
        self.mineru_backend = mineru_backend
        self.api_url = api_url
        self._api = MinerUAPI(
            key,
            base_url=api_url,
            model_version=mineru_backend,
            poll_interval=poll_interval,
            timeout=api_timeout,
        )
        self._config.pop("api_key", None)  # never in fingerprints, logs or `ops show`

    def _converter(self) -> DocumentConverter:
        return DocumentConverter(
            self.intermediate_dir,
            engine="mineru-api",
            mineru_api=self._api,
            fetcher=self._fetcher(),
            base_dir=self.base_dir,
        )


class FileOrURLToMarkdownConverterFlash(_Converter):
    """Converts PDFs with FlashMinerU (GPU) when installed and given ``mineru_model_path``;
    without them, with streamflow's offline converter (so the pipeline still runs on a CPU)."""

    def __init__(
        self,
        intermediate_dir: str = "intermediate",
        mineru_model_path: str | None = None,
        batch_size: int = 4,
        replicas: int = 1,
        num_gpus_per_replica: float = 1,
        engine_gpu_util_rate_to_ray_cap: float = 0.9,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        max_bytes: int = 50 * 2**20,
        base_dir: str | None = None,
    ) -> None:
        self.base_dir = base_dir
        self._setup(intermediate_dir, user_agent, timeout, max_bytes)
        self.mineru_model_path = mineru_model_path
        self._flash: Any = None
        if mineru_model_path:
            from streamflow.extras import require

            flash = require("flash_mineru", "mineru-flash", for_="FlashMinerU")
            self._flash = flash.MineruEngine(
                model=mineru_model_path,
                save_dir=intermediate_dir,
                batch_size=batch_size,
                replicas=replicas,
                num_gpus_per_replica=num_gpus_per_replica,
                engine_gpu_util_rate_to_ray_cap=engine_gpu_util_rate_to_ray_cap,
            )

    def _converter(self) -> DocumentConverter:
        engine: Engine = "flash-mineru" if self._flash is not None else "builtin"
        return DocumentConverter(
            Path(self.intermediate_dir),
            engine=engine,
            flash_engine=self._flash,
            fetcher=self._fetcher(),
            base_dir=self.base_dir,
        )
