"""text_pt_synthetic: clean pre-training text, then rewrite it as question-answer turns
(DataFlow's ``text_pt_synthetic``).

The text_pt_filter rule chain keeps the documents worth rewriting; Phi4QAGenerator turns each
into ``Question: ... Answer: ...`` lines (``generated_content``), phi-4's recipe for synthetic
pre-training data. DataFlow's pipeline also runs a PairQual filter before and a QuRating filter
after the rewrite; those models must be on the machine, so they run only when
``pairqual_model`` / ``qurating_model`` name them (a directory or hub id). The LLM is the
embedded SmolLM2 unless ``llm_serving`` is given (any OpenAI-compatible server or vLLM)::

    streamflow run text_pt_synthetic --input pages.jsonl --output qa.jsonl
"""

from __future__ import annotations

from streamflow.operators.text_pt import PairQualFilter, Phi4QAGenerator, QuratingFilter
from streamflow.pipeline import Pipeline
from streamflow.pipelines.text_pt_filter import SAMPLE, rule_steps
from streamflow.serving.base import LLMServing
from streamflow.storage import FileStorage

__all__ = ["TextPTSyntheticPipeline"]


class TextPTSyntheticPipeline(Pipeline):
    """Rule chain (-> PairQual) -> Phi4QAGenerator (-> QuRating on the rewrite)."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        input_key: str = "raw_content",
        pairqual_model: str | None = None,
        qurating_model: str | None = None,
        device: str | None = None,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "pt_input.jsonl"), output_file="text_pt_synthetic.jsonl"
        )
        self.input_key = input_key
        self.steps = rule_steps()
        for name, op in self.steps:
            setattr(self, name, op)
        self.quality_filter = (
            PairQualFilter(-2, 10000, lang="en", device=device, model_name_or_path=pairqual_model)
            if pairqual_model
            else None
        )
        self.pt_generator = Phi4QAGenerator(llm_serving)
        self.qurating_filter = (
            QuratingFilter(device=device, model_name_or_path=qurating_model)
            if qurating_model
            else None
        )

    def forward(self) -> None:
        for _, op in self.steps:
            op.run(self.storage.step(), input_key=self.input_key)
        if self.quality_filter is not None:
            self.quality_filter.run(self.storage.step(), input_key=self.input_key)
        self.pt_generator.run(
            self.storage.step(), input_key=self.input_key, output_key="generated_content"
        )
        if self.qurating_filter is not None:
            self.qurating_filter.run(self.storage.step(), input_key="generated_content")
