"""web_pretrain: a web crawl (WARC/ARC) -> pre-training text, the FineWeb recipe as a stream.

DataFlow's text pre-training filter pipeline rebuilt on a crawl: main text out of each HTML
page, English only, the Gopher, C4 and FineWeb quality rules, personal data masked, and
near-duplicates removed against everything seen before. By default it reads the two-segment
sample crawl shipped with streamflow; point it at a crawl with ``--input``::

    streamflow run web_pretrain --input 'crawl/*.warc.gz' --run-dir runs/crawl

**Incremental crawls.** Run again with the same ``--run-dir`` when new segments arrive: the
segments already done are skipped, the new ones are processed, and the MinHash index in the run
store drops pages that near-duplicate any page kept from an earlier segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from streamflow.operators.core_text import FieldRemover
from streamflow.operators.general_text import LanguageFilter, MinHashDeduplicateFilter
from streamflow.operators.web import (
    C4LineRefiner,
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    HtmlTextExtractor,
    PIIRefiner,
    UrlBlocklistFilter,
)
from streamflow.pipeline import Pipeline
from streamflow.storage import FileStorage

SAMPLE_CRAWL = Path(str(resources.files("streamflow.pipelines") / "samples" / "crawl"))


class WebPretrainPipeline(Pipeline):
    """Extract, identify language, filter (Gopher, C4, FineWeb), mask PII, near-dedup."""

    def __init__(
        self, languages: Iterable[str] = ("en",), url_blocklist: Iterable[str] = ()
    ) -> None:
        # A broken record is a dead letter with its offset: one bad record must not stop a crawl.
        self.storage = FileStorage(
            str(SAMPLE_CRAWL / "*.warc.gz"),
            output_file="web_pretrain.jsonl",
            on_bad_record="skip",
        )
        blocklist = list(url_blocklist)
        self.urls = UrlBlocklistFilter(blocklist) if blocklist else None
        self.extract = HtmlTextExtractor(favor_precision=True)
        self.drop_html = FieldRemover()
        self.language = LanguageFilter(list(languages))
        self.repetition = GopherRepetitionFilter()
        self.gopher = GopherQualityFilter()
        self.c4 = C4QualityFilter()
        self.c4_lines = C4LineRefiner()
        self.fineweb = FineWebQualityFilter()
        self.pii = PIIRefiner()
        self.dedup = MinHashDeduplicateFilter()

    def forward(self) -> None:
        if self.urls is not None:
            self.urls.run(self.storage.step(), input_key="url")
        self.extract.run(self.storage.step(), input_key="html", output_key="text")
        self.drop_html.run(self.storage.step(), input_keys=["html"])
        self.language.run(
            self.storage.step(),
            input_key="text",
            output_key=None,
            output_language_key="language",
            output_score_key="language_score",
        )
        self.repetition.run(self.storage.step(), input_key="text")
        self.gopher.run(self.storage.step(), input_key="text")
        self.c4.run(self.storage.step(), input_key="text")
        self.c4_lines.run(self.storage.step(), input_key="text")
        self.fineweb.run(self.storage.step(), input_key="text")
        self.pii.run(self.storage.step(), input_key="text")
        self.dedup.run(self.storage.step(), input_key="text", input_name_key="url", output_key=None)
