"""Compatibility only: streamflow 0.1's import path, kept so that existing code keeps working.

The web-crawl quality filters now live in :mod:`streamflow.operators.web`, one module per rule
family.
"""

from __future__ import annotations

from streamflow.operators.web._web_filter import Measure, Rules, Verdict
from streamflow.operators.web._web_filter import (
    _WebFilter as _WebFilter,
)  # private, but code written against 0.1 may use it
from streamflow.operators.web.c4 import (
    C4_END_MARKS,
    C4_POLICY_PHRASES,
    C4LineRefiner,
    C4QualityFilter,
)
from streamflow.operators.web.fineweb_quality_filter import FINEWEB_STOP_CHARS, FineWebQualityFilter
from streamflow.operators.web.gopher_quality_filter import GOPHER_STOP_WORDS, GopherQualityFilter
from streamflow.operators.web.gopher_repetition_filter import (
    GOPHER_DUP_NGRAMS,
    GOPHER_TOP_NGRAMS,
    GopherRepetitionFilter,
)
from streamflow.operators.web.tokens import web_words
from streamflow.operators.web.url_blocklist_filter import UrlBlocklistFilter, read_domain_list

__all__ = [
    "C4_END_MARKS",
    "C4_POLICY_PHRASES",
    "FINEWEB_STOP_CHARS",
    "GOPHER_DUP_NGRAMS",
    "GOPHER_STOP_WORDS",
    "GOPHER_TOP_NGRAMS",
    "C4LineRefiner",
    "C4QualityFilter",
    "FineWebQualityFilter",
    "GopherQualityFilter",
    "GopherRepetitionFilter",
    "Measure",
    "Rules",
    "UrlBlocklistFilter",
    "Verdict",
    "read_domain_list",
    "web_words",
]
