"""MinerU, when the user has it: the local ``mineru`` command, FlashMinerU, or a MinerU API.

MinerU's models download on first use, so streamflow never depends on it: these run only when
asked for (or, with ``engine="auto"``, when the ``mineru`` command is installed). Each returns
the Markdown file MinerU wrote and, where MinerU wrote one, its ``*_content_list.json``.

The API client speaks MinerU's batch API (``/file-urls/batch`` to get upload URLs, a ``PUT`` of
the file, ``/extract-results/batch/{id}`` polled until done, then the result ZIP holding
``full.md``), with the key in ``$MINERU_API_KEY`` unless given.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anyio

from streamflow.errors import StreamflowError

__all__ = ["MinerUAPI", "MinerUError", "MinerUResult", "mineru_installed", "run_mineru_cli"]


class MinerUError(StreamflowError):
    """MinerU failed on one file; the message names the file and MinerU's reason."""


@dataclass(frozen=True, slots=True)
class MinerUResult:
    markdown: Path
    content_list: Path | None


def mineru_installed() -> bool:
    """Whether the ``mineru`` command is on the PATH."""
    return shutil.which("mineru") is not None


def run_mineru_cli(
    pdf: Path, out_dir: Path, *, backend: str, source: str = "local", timeout: float = 3600
) -> MinerUResult:
    """Run ``mineru -p PDF -o OUT -b BACKEND --source SOURCE`` (blocking: call from a thread)."""
    if not mineru_installed():
        raise MinerUError("the 'mineru' command is not installed (pip install 'mineru[core]')")
    out_dir.mkdir(parents=True, exist_ok=True)
    command = ["mineru", "-p", str(pdf), "-o", str(out_dir), "-b", backend, "--source", source]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise MinerUError(f"{pdf}: mineru ran past {timeout:g}s") from None
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise MinerUError(f"{pdf}: mineru exited with {done.returncode}: {tail}")
    return find_result(out_dir / pdf.stem, pdf.stem)


def find_result(directory: Path, stem: str) -> MinerUResult:
    """MinerU's Markdown (``<stem>.md`` or ``full.md``) and content list under ``directory``."""
    found = sorted(directory.rglob(f"{stem}.md")) or sorted(directory.rglob("full.md"))
    if not found:
        raise MinerUError(f"{directory}: MinerU wrote no Markdown file")
    markdown = found[0]
    lists = sorted(markdown.parent.glob("*_content_list.json"))
    return MinerUResult(markdown, lists[0] if lists else None)


class MinerUAPI:
    """MinerU's batch extraction API, one file per batch (async; aiohttp)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://mineru.net/api/v4",
        model_version: str = "vlm",
        poll_interval: float = 5.0,
        timeout: float = 1800.0,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model_version = model_version
        self.poll_interval = poll_interval
        self.timeout = timeout

    async def extract(self, pdf: Path, out_dir: Path) -> MinerUResult:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        async with aiohttp.ClientSession(headers=headers) as session:
            with anyio.fail_after(self.timeout):
                return await self._extract(session, pdf, out_dir)

    async def _extract(
        self, session: aiohttp.ClientSession, pdf: Path, out_dir: Path
    ) -> MinerUResult:
        payload = {
            "files": [{"name": pdf.name, "data_id": "0"}],
            "model_version": self.model_version,
        }
        data = await self._json(session, "POST", f"{self.base_url}/file-urls/batch", payload)
        batch_id, upload = data["batch_id"], data["file_urls"][0]
        body = await anyio.Path(pdf).read_bytes()
        async with session.put(upload, data=body, headers={"Authorization": ""}) as resp:
            if resp.status >= 300:
                raise MinerUError(f"{pdf}: upload refused (HTTP {resp.status})")
        url = f"{self.base_url}/extract-results/batch/{batch_id}"
        while True:
            result = await self._json(session, "GET", url)
            items = result.get("extract_result") or []
            item = items[0] if items else {}
            state = item.get("state")
            if state == "done":
                break
            if state == "failed":
                raise MinerUError(
                    f"{pdf}: MinerU API: {item.get('err_msg') or 'extraction failed'}"
                )
            await anyio.sleep(self.poll_interval)
        async with session.get(item["full_zip_url"]) as resp:
            if resp.status != 200:
                raise MinerUError(f"{pdf}: result download failed (HTTP {resp.status})")
            archive = await resp.read()
        target = out_dir / pdf.stem
        await anyio.to_thread.run_sync(_unzip, archive, target)
        return find_result(target, pdf.stem)

    async def _json(
        self, session: aiohttp.ClientSession, method: str, url: str, payload: object = None
    ) -> dict[str, Any]:
        async with session.request(method, url, json=payload) as resp:
            status = resp.status
            try:
                answer = await resp.json(content_type=None)
            except ValueError:
                answer = None
        if status != 200 or not isinstance(answer, dict):
            raise MinerUError(f"MinerU API {method} {url}: HTTP {status}")
        if answer.get("code") not in (0, None):
            raise MinerUError(f"MinerU API: {answer.get('msg') or answer.get('code')}")
        data = answer.get("data")
        if not isinstance(data, dict):
            raise MinerUError(f"MinerU API {url}: no data in the answer")
        return data


def _unzip(archive: bytes, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for member in zf.namelist():
            resolved = (target / member).resolve()
            if not resolved.is_relative_to(target.resolve()):
                raise MinerUError(f"result archive entry escapes the folder: {member}")
        zf.extractall(target)
