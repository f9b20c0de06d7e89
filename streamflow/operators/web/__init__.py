"""streamflow's web domain (not in DataFlow): a web crawl turned into pre-training text.

HTML -> main text (trafilatura), language annotation, the quality rules of Gopher, C4 and
FineWeb as published, a URL blocklist, and the masking of e-mail addresses, IP addresses and
phone numbers. The rule-based cleaning that any corpus needs is in ``general_text``; each name
is imported on first use.
"""

from streamflow.operators._lazy import lazy_domain

__getattr__, __dir__, __all__ = lazy_domain(
    __name__,
    operators={
        "C4LineRefiner": "c4",
        "C4QualityFilter": "c4",
        "FineWebQualityFilter": "fineweb_quality_filter",
        "GopherQualityFilter": "gopher_quality_filter",
        "GopherRepetitionFilter": "gopher_repetition_filter",
        "HtmlTextExtractor": "html_text_extractor",
        "LanguageIdentifier": "language_identifier",
        "PIIRefiner": "pii_refiner",
        "UrlBlocklistFilter": "url_blocklist_filter",
    },
)
