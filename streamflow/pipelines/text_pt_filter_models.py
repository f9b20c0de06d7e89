"""text_pt_filter_models: the rule chain plus language identification and a model quality filter
(DataFlow's GPU ``text_pt_filter``).

As in DataFlow, a language filter comes first (English by default; py3langid, whose model ships
in its package, where DataFlow downloads fastText's lid.176) and a model quality filter last.
DataFlow's last step is PairQual (``zks2856/PairQual-Scorer-en``, score >= 2); that model (and
FineWeb-Edu's) must be on the machine, so ``quality_filter`` chooses:

- ``"perplexity"`` (default): perplexity under ``quality_model`` (default the embedded SmolLM2,
  which works offline) within ``[min_quality, max_quality]`` (default 1 to 1000);
- ``"pairqual"``: DataFlow's PairQual filter (``quality_model`` a local copy or the hub id),
  default minimum 2;
- ``"fineweb_edu"``: the FineWeb-Edu classifier, default minimum 2.5.

::

    streamflow run text_pt_filter_models --input pages.jsonl --output kept.jsonl
"""

from __future__ import annotations

from typing import Any, Literal

from streamflow.operators.general_text import LanguageFilter
from streamflow.operators.text_pt import FineWebEduFilter, PairQualFilter, PerplexityFilter
from streamflow.operators.text_sft.model_scorer import EMBEDDED
from streamflow.pipeline import Pipeline
from streamflow.pipelines.text_pt_filter import SAMPLE, rule_steps
from streamflow.storage import FileStorage

__all__ = ["TextPTFilterModelsPipeline"]

DEFAULT_RANGES = {
    "perplexity": (1.0, 1000.0),
    "pairqual": (2.0, 10000.0),
    "fineweb_edu": (2.5, 10000.0),
}


def quality_step(kind: str, model: str | None, low: float, high: float, device: str | None) -> Any:
    if kind == "perplexity":
        return PerplexityFilter(low, high, model_name=model or EMBEDDED, device=device)
    if kind == "pairqual":
        return PairQualFilter(low, high, lang="en", device=device, model_name_or_path=model)
    if kind == "fineweb_edu":
        return FineWebEduFilter(low, high, device=device, model_name_or_path=model)
    raise ValueError(f"quality_filter must be perplexity, pairqual or fineweb_edu, got {kind!r}")


class TextPTFilterModelsPipeline(Pipeline):
    """Language -> the text_pt_filter rule chain -> a model quality filter."""

    def __init__(
        self,
        input_key: str = "raw_content",
        languages: tuple[str, ...] = ("en",),
        quality_filter: Literal["perplexity", "pairqual", "fineweb_edu"] = "perplexity",
        quality_model: str | None = None,
        min_quality: float | None = None,
        max_quality: float | None = None,
        device: str | None = None,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "pt_input.jsonl"), output_file="text_pt_filter_models.jsonl"
        )
        self.input_key = input_key
        low, high = DEFAULT_RANGES.get(quality_filter, (0.0, 0.0))
        self.language_filter = LanguageFilter(allowed_languages=languages)
        self.steps = rule_steps()
        for name, op in self.steps:
            setattr(self, name, op)
        self.quality_filter = quality_step(
            quality_filter,
            quality_model,
            low if min_quality is None else min_quality,
            high if max_quality is None else max_quality,
            device,
        )

    def forward(self) -> None:
        self.language_filter.run(self.storage.step(), input_key=self.input_key)
        for _, op in self.steps:
            op.run(self.storage.step(), input_key=self.input_key)
        self.quality_filter.run(self.storage.step(), input_key=self.input_key)
