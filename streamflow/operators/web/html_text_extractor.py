"""HTML -> main text, the first step of a web-crawl pipeline, with trafilatura.

trafilatura (and lxml under it) is imported when an extractor is built, not with this module, so
that listing the operators stays cheap.
"""

from __future__ import annotations

from typing import Any, Literal

from streamflow.actors.base import Generator
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["HtmlTextExtractor"]


class HtmlTextExtractor(Generator):
    """Extracts the main text of a web page (menus, ads, footers and comments left out).

    A page with no main text gets ``""``, never None, so that ``ContentNullFilter`` drops it
    later with a reason. ``output_format="markdown"`` keeps headings, lists and emphasis;
    ``favor_precision`` / ``favor_recall`` trade boilerplate left in against text left out.
    Extraction is CPU-bound (about 15 ms a page), so it runs in a process pool, one worker per
    core.
    """

    executor = "process"

    def __init__(
        self,
        output_format: Literal["txt", "markdown"] = "txt",
        favor_precision: bool = False,
        favor_recall: bool = False,
        include_tables: bool = True,
        include_links: bool = False,
        include_comments: bool = False,
    ) -> None:
        if output_format not in ("txt", "markdown"):
            raise ValueError(f"{self.name}: output_format must be 'txt' or 'markdown'")
        if favor_precision and favor_recall:
            raise ValueError(f"{self.name}: favor_precision and favor_recall exclude each other")
        import trafilatura  # noqa: F401 (a broken installation fails here, not in the first batch)

        self._options: dict[str, Any] = {
            "output_format": output_format,
            "favor_precision": favor_precision,
            "favor_recall": favor_recall,
            "include_tables": include_tables,
            "include_links": include_links,
            "include_comments": include_comments,
        }

    def process(
        self,
        rows: list[Row],
        input_key: str = "html",
        output_key: str = "text",
        output_title_key: str | None = None,
    ) -> list[Row]:
        import trafilatura

        out = []
        for row in rows:
            html = text_field(self.name, row, input_key)
            # Parsed once for both calls; extract() works on a copy of the tree.
            tree = trafilatura.load_html(html) if html.strip() else None
            text = "" if tree is None else trafilatura.extract(tree, **self._options) or ""
            new = {**row, output_key: text}
            if output_title_key is not None:
                meta = None if tree is None else trafilatura.extract_metadata(tree, extensive=False)
                new[output_title_key] = "" if meta is None else meta.title or ""
            out.append(new)
        return out
