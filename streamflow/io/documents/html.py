"""HTML -> Markdown with trafilatura: the main content, with headings, lists and tables."""

from __future__ import annotations

from typing import Any

__all__ = ["html_title", "html_to_markdown"]


def html_to_markdown(html: str, *, url: str | None = None, favor_recall: bool = True) -> str:
    """The page's main content as Markdown (menus, footers, ads left out); ``""`` if none.

    ``favor_recall`` keeps borderline blocks: for knowledge extraction, losing a paragraph is
    worse than keeping a stray line.
    """
    if not html.strip():
        return ""
    trafilatura = _trafilatura()
    text = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_formatting=True,
        include_links=False,
        include_comments=False,
        favor_recall=favor_recall,
    )
    return (text or "").strip()


def html_title(html: str) -> str:
    """The page's title, or ``""``."""
    if not html.strip():
        return ""
    metadata = _trafilatura().extract_metadata(html)
    return (metadata.title or "") if metadata is not None else ""


def _trafilatura() -> Any:
    """trafilatura, imported on first use (it is slow to import; listing operators must not)."""
    import trafilatura

    return trafilatura
