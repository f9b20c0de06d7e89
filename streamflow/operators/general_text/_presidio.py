"""Presidio's analyzer, built once per process from packaged parts only.

DataFlow feeds presidio a Hugging Face NER model (dslim/bert-base-NER) through its
``TransformersNlpEngine``; that engine needs ``spacy-huggingface-pipelines``, which requires
transformers < 5 and would replace the serving engine's transformers, and the model would be
downloaded. Here presidio's spaCy engine runs spaCy's ``en_core_web_sm`` NER (shipped in a package,
see ``_models``) beside presidio's pattern recognizers (e-mail, phone, credit card, IBAN, IP,
URL, ...). ``model_name`` names another spaCy model (package or directory) for ``lang``.

presidio's e-mail recognizer calls tldextract, whose default extractor downloads the Public
Suffix List on first use; the extractor is replaced (for the process) by one that reads the
snapshot tldextract ships, so nothing is fetched.
"""

from __future__ import annotations

import functools
from typing import Any

from streamflow.extras import require
from streamflow.operators.general_text._models import spacy_model_path

__all__ = ["DATAFLOW_NER_MODEL", "analyzer", "anonymizer"]

DATAFLOW_NER_MODEL = "dslim/bert-base-NER"


def _offline_tldextract() -> None:
    tldextract = require("tldextract", "pii")
    module = tldextract.tldextract
    if getattr(module.TLD_EXTRACTOR, "suffix_list_urls", ()) != ():
        module.TLD_EXTRACTOR = module.TLDExtract(suffix_list_urls=())


@functools.lru_cache(maxsize=4)
def analyzer(lang: str = "en", model_name: str | None = None) -> Any:
    """A presidio ``AnalyzerEngine`` for ``lang`` with a spaCy model (``en_core_web_sm``)."""
    presidio = require("presidio_analyzer", "pii")
    engines = require("presidio_analyzer.nlp_engine", "pii")
    _offline_tldextract()
    if model_name == DATAFLOW_NER_MODEL:  # DataFlow's default: spaCy's packaged model instead
        model_name = None
    model = spacy_model_path(model_name or "en_core_web_sm")
    provider = engines.NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": lang, "model_name": model}],
        }
    )
    return presidio.AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=[lang])


@functools.cache
def anonymizer() -> Any:
    return require("presidio_anonymizer", "pii").AnonymizerEngine()
