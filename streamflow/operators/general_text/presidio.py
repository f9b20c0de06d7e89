"""PII counts by Microsoft Presidio (DataFlow's ``PresidioSampleEvaluator`` and
``PresidioFilter``): the number of personal-data entities presidio finds in a text (names,
places, e-mail addresses, phone numbers, card numbers, ...). See ``_presidio`` for the models.
"""

from __future__ import annotations

from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._presidio import analyzer
from streamflow.rows import Row

__all__ = ["PresidioFilter", "PresidioSampleEvaluator"]


class _PresidioCounting:
    """Shared by the evaluator and the filter: the analyzer and the count of a text."""

    name: str
    lang: str
    _analyzer: Any

    def _load(self, lang: str, model_name: str | None) -> None:
        self.lang = lang
        self._analyzer = analyzer(lang, model_name)

    def count(self, text: str) -> int:
        return len(self._analyzer.analyze(text=text, language=self.lang))


class PresidioSampleEvaluator(_PresidioCounting, SampleEvaluator):
    """Writes the number of PII entities presidio finds in ``input_key`` to ``output_key``.

    DataFlow's ``device`` and ``model_cache_dir`` are accepted; spaCy runs on the CPU and
    reads a packaged model. ``model_name`` (not in DataFlow, whose model is fixed) picks another
    spaCy model for ``lang``.
    """

    def __init__(
        self,
        device: str = "cuda",
        lang: str = "en",
        model_cache_dir: str = "./dataflow_cache",
        model_name: str | None = None,
    ) -> None:
        self.device = device
        self.model_cache_dir = model_cache_dir
        self._load(lang, model_name)

    def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "PresidioScore"
    ) -> list[Row]:
        for row in rows:
            row[output_key] = self.count(text_field(self.name, row, input_key))
        return rows


class PresidioFilter(_PresidioCounting, Filter):
    """Keeps rows with between ``min_score`` and ``max_score`` PII entities (inclusive); the
    count is written to ``output_key`` as DataFlow does."""

    def __init__(
        self,
        min_score: int = 0,
        max_score: int = 5,
        lang: str = "en",
        device: str = "cuda",
        model_cache_dir: str = "./dataflow_cache",
        model_name: str | None = None,
    ) -> None:
        self.min_score = min_score
        self.max_score = max_score
        self.device = device
        self.model_cache_dir = model_cache_dir
        self._load(lang, model_name)

    def process(
        self, rows: list[Row], input_key: str = "text", output_key: str = "PresidioScore"
    ) -> list[bool | tuple[bool, str]]:
        verdicts: list[bool | tuple[bool, str]] = []
        for row in rows:
            count = self.count(text_field(self.name, row, input_key))
            row[output_key] = count
            if self.min_score <= count <= self.max_score:
                verdicts.append(True)
            else:
                verdicts.append(
                    (False, f"{count} PII entities, outside [{self.min_score}, {self.max_score}]")
                )
        return verdicts
