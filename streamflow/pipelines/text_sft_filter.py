"""text_sft_filter: keep the instruction/response pairs worth training on (DataFlow's
``text_sft_filter``).

A response length rule (20 to 1000 words), then Superfiltering: the instruction-following
difficulty of each pair under a small causal LM, keeping IFD in [0.5, 1.0] (DataFlow's bounds:
pairs the instruction helps predict, but not trivially). DataFlow scores with GPT-2; here the
scorer is the embedded SmolLM2 unless ``scorer_model`` names another (a hub id or directory).
With ``deita_model`` (e.g. ``hkust-nlp/deita-quality-scorer`` on a machine that has it) the
Deita quality filter (>= 2.5) follows, as in DataFlow's GPU pipeline. By default it reads a
sample shipped with streamflow::

    streamflow run text_sft_filter --input my_sft.jsonl --output kept.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.general_text import WordNumberFilter
from streamflow.operators.text_sft.deita import DeitaQualityFilter
from streamflow.operators.text_sft.model_scorer import EMBEDDED
from streamflow.operators.text_sft.superfiltering import SuperfilteringFilter
from streamflow.pipeline import Pipeline
from streamflow.storage import FileStorage

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "text_sft_filter"))


class TextSFTFilterPipeline(Pipeline):
    """Word count -> Superfiltering IFD (-> Deita quality) over instruction/output pairs."""

    def __init__(
        self,
        scorer_model: str = EMBEDDED,
        deita_model: str | None = None,
        min_ifd: float = 0.5,
        max_ifd: float = 1.0,
        device: str | None = None,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "sft_input.jsonl"), output_file="text_sft_filter.jsonl"
        )
        self.word_number_filter = WordNumberFilter(min_words=20, max_words=1000)
        self.superfiltering_filter = SuperfilteringFilter(
            min_score=min_ifd, max_score=max_ifd, device=device, model_name_or_path=scorer_model
        )
        self.deita_quality_filter = (
            DeitaQualityFilter(
                min_score=2.5, max_score=10000, device=device, model_name_or_path=deita_model
            )
            if deita_model
            else None
        )

    def forward(self) -> None:
        self.word_number_filter.run(self.storage.step(), input_key="output")
        self.superfiltering_filter.run(
            self.storage.step(), input_instruction_key="instruction", input_output_key="output"
        )
        if self.deita_quality_filter is not None:
            self.deita_quality_filter.run(
                self.storage.step(), input_instruction_key="instruction", input_output_key="output"
            )
