"""kbcleaning: documents and URLs -> Markdown -> chunks -> cleaned chunks -> multi-hop QA.

DataFlow's knowledge-base cleaning pipeline as a stream. Each input row names a ``source``: a
PDF, HTML, Markdown or text file, or a URL (fetched politely). Every document is converted to
Markdown (streamflow's offline converter, or MinerU when its command is installed), cut into
token chunks that respect headings (each chunk a row with its pages), rewritten by the LLM to
drop extraction noise while keeping every fact, and turned into multi-hop question-answer
pairs. By default it reads the sample document shipped with streamflow::

    streamflow run kbcleaning --output qa.jsonl --run-dir runs/kbc
    streamflow run kbcleaning --input sources.jsonl     # rows like {"source": "report.pdf"}

A source that cannot be converted (missing, encrypted, scanned, refused by robots.txt) is a
dead letter naming it; a chunk that yields no QA pair is dropped with the reason.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.core_text.multihop import Text2MultiHopQAGenerator
from streamflow.operators.knowledge_cleaning.chunk_generator import KBCChunkGenerator
from streamflow.operators.knowledge_cleaning.converters import FileOrURLToMarkdownConverterLocal
from streamflow.operators.knowledge_cleaning.text_cleaner import KBCTextCleaner
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing
from streamflow.storage import FileStorage

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "kbcleaning"))


class KBCleaningPipeline(Pipeline):
    """Convert, chunk, clean, and make multi-hop QA pairs."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        intermediate_dir: str = "intermediate/kbcleaning",
        chunk_size: int = 512,
        chunk_overlap: int = 50,
        num_q: int = 5,
        lang: str = "en",
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "sources.jsonl"), output_file="kbcleaning.jsonl", on_bad_record="skip"
        )
        self.convert = FileOrURLToMarkdownConverterLocal(
            intermediate_dir=intermediate_dir, base_dir=str(SAMPLE)
        )
        self.chunk = KBCChunkGenerator(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap, min_tokens_per_chunk=50
        )
        self.clean = KBCTextCleaner(llm_serving, lang=lang)
        self.qa = Text2MultiHopQAGenerator(llm_serving, lang=lang, num_q=num_q)

    def forward(self) -> None:
        self.convert.run(self.storage.step(), input_key="source", output_key="text_path")
        self.chunk.run(self.storage.step(), input_key="text_path", output_key="raw_chunk")
        self.clean.run(self.storage.step(), input_key="raw_chunk", output_key="cleaned_chunk")
        self.qa.run(
            self.storage.step(),
            input_key="cleaned_chunk",
            output_key="QA_pairs",
            output_meta_key="QA_metadata",
        )
