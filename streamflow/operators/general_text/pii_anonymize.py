"""PII anonymisation by Microsoft Presidio (DataFlow's ``PIIAnonymizeRefiner``): each entity
presidio finds is replaced with ``<ENTITY_TYPE>`` (presidio's default operator), e.g. ``My name
is <PERSON>, write to <EMAIL_ADDRESS>``. See ``_presidio`` for the models; the lighter,
pattern-only ``PIIRefiner`` (e-mail, IP, phone) needs no model.
"""

from __future__ import annotations

from streamflow.actors.base import Refiner
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._presidio import analyzer, anonymizer
from streamflow.rows import Row

__all__ = ["PIIAnonymizeRefiner"]


class PIIAnonymizeRefiner(Refiner):
    """Replaces the PII entities in ``input_key`` with ``<ENTITY_TYPE>`` placeholders.

    DataFlow's ``device``, ``model_cache_dir`` and ``model_name`` are accepted; its model
    (dslim/bert-base-NER, downloaded) is replaced by spaCy's packaged ``en_core_web_sm``, and
    ``model_name`` names a spaCy model (package or directory) instead (``_presidio``).
    """

    def __init__(
        self,
        lang: str = "en",
        device: str = "cuda",
        model_cache_dir: str = "./dataflow_cache",
        model_name: str | None = None,
    ) -> None:
        self.lang = lang
        self.device = device
        self.model_cache_dir = model_cache_dir
        self.model_name = model_name
        self._analyzer = analyzer(lang, model_name)
        self._anonymizer = anonymizer()

    def refine(self, text: str) -> str:
        found = self._analyzer.analyze(text=text, language=self.lang)
        if not found:
            return text
        return str(self._anonymizer.anonymize(text=text, analyzer_results=found).text)

    def process(self, rows: list[Row], input_key: str = "text") -> list[Row]:
        for row in rows:
            row[input_key] = self.refine(text_field(self.name, row, input_key))
        return rows
