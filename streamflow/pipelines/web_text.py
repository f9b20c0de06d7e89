"""web_text: web pages -> clean, rule-filtered, deduplicated main text (JSONL).

The demo the README runs. By default it reads the sample pages shipped with streamflow; point it
at any folder or glob of HTML files with ``--input``::

    streamflow run web_text --input 'crawl/**/*.html' --output pages.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.core_text import FieldRemover
from streamflow.operators.general_text import (
    ColonEndFilter,
    ContentNullFilter,
    CurlyBracketFilter,
    HashDeduplicateFilter,
    HtmlEntityRefiner,
    HtmlUrlRemoverRefiner,
    LineEndWithEllipsisFilter,
    LineStartWithBulletpointFilter,
    LineWithJavascriptFilter,
    LoremIpsumFilter,
    MeanWordLengthFilter,
    RemoveExtraSpacesRefiner,
    SymbolWordRatioFilter,
    WordNumberFilter,
)
from streamflow.operators.web import HtmlTextExtractor
from streamflow.pipeline import Pipeline
from streamflow.storage import FileStorage

SAMPLE_PAGES = Path(str(resources.files("streamflow.pipelines") / "samples" / "web_pages"))
"""The pages shipped with streamflow (found through the package, so a copy of this file made
with ``streamflow pipelines copy`` still finds them)."""


class WebTextPipeline(Pipeline):
    """Extract main text from HTML, clean it, drop low-quality pages and exact duplicates."""

    def __init__(self) -> None:
        self.storage = FileStorage(str(SAMPLE_PAGES / "*.html"), output_file="web_text.jsonl")
        self.extract = HtmlTextExtractor()
        self.drop_html = FieldRemover()
        self.entities = HtmlEntityRefiner()
        self.urls = HtmlUrlRemoverRefiner()
        # Line-based rules first: they need the extractor's line breaks.
        self.line_filters = [
            LineWithJavascriptFilter(),
            LineStartWithBulletpointFilter(),
            LineEndWithEllipsisFilter(),
        ]
        self.spaces = RemoveExtraSpacesRefiner()
        self.filters = [
            ContentNullFilter(),
            WordNumberFilter(),
            LoremIpsumFilter(),
            CurlyBracketFilter(),
            ColonEndFilter(),
            SymbolWordRatioFilter(),
            MeanWordLengthFilter(),
        ]
        self.dedup = HashDeduplicateFilter()

    def forward(self) -> None:
        self.extract.run(self.storage.step(), input_key="html", output_key="text")
        self.drop_html.run(self.storage.step(), input_keys=["html"])
        self.entities.run(self.storage.step(), input_key="text")
        self.urls.run(self.storage.step(), input_key="text")
        # output_key=None: no DataFlow 0/1 label columns (every kept row would hold 1s)
        for line_filter in self.line_filters:
            line_filter.run(self.storage.step(), input_key="text", output_key=None)
        self.spaces.run(self.storage.step(), input_key="text")
        for text_filter in self.filters:
            text_filter.run(self.storage.step(), input_key="text", output_key=None)
        self.dedup.run(self.storage.step(), input_keys=["text"])
