"""HTML -> main text, the first step of a web-crawl pipeline, with trafilatura."""

from __future__ import annotations

from typing import Any, Literal

import trafilatura

from streamflow.actors.base import Generator
from streamflow.actors.registry import register_operator
from streamflow.operators.fields import text_field
from streamflow.rows import Row


@register_operator("text")
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
        out = []
        for row in rows:
            html = text_field(self.name, row, input_key)
            # Parsed once for both calls; extract() works on a copy of the tree.
            tree = trafilatura.load_html(html) if html.strip() else None
            new = {**row, output_key: self._text(tree)}
            if output_title_key is not None:
                new[output_title_key] = _title(tree)
            out.append(new)
        return out

    def _text(self, tree: Any) -> str:
        if tree is None:
            return ""
        return trafilatura.extract(tree, **self._options) or ""


def _title(tree: Any) -> str:
    if tree is None:
        return ""
    return trafilatura.extract_metadata(tree, extensive=False).title or ""
