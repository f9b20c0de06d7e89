"""pdf_vqa_extract: textbook and exam PDFs -> question/answer pairs -> ShareGPT VQA samples.

DataFlow's PDF-to-VQA pipeline: each input row is a job ``{"input_pdf_paths": [...], "name"}``;
its PDFs are merged, converted (MinerU when installed, else streamflow's offline converter,
which writes the same layout file), the layout is numbered, the LLM marks chapters, questions,
answers and solutions by item id, the marks are turned back into text, questions are paired
with answers printed elsewhere, and every pair becomes a ShareGPT sample::

    streamflow run pdf_vqa_extract --output vqa.jsonl --run-dir runs/vqa
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.core_text import ChunkedPromptedGenerator
from streamflow.operators.knowledge_cleaning.converters import FileOrURLToMarkdownConverterLocal
from streamflow.operators.pdf2vqa.operators import (
    LLMOutputParser,
    MinerU2LLMInputOperator,
    PDF_Merger,
    QA_Merger,
    VQAFormatter,
)
from streamflow.operators.pdf2vqa.prompts import QAExtractPrompt
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing
from streamflow.storage import FileStorage

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "pdf_vqa"))


class PdfVQAExtractPipeline(Pipeline):
    """Merge, convert, number, extract with the LLM, parse, pair, format."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        *,
        work_dir: str = "intermediate/pdf_vqa",
        max_chunk_len: int = 4000,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "jobs.jsonl"), output_file="pdf_vqa.jsonl", on_bad_record="skip"
        )
        self.merge = PDF_Merger(output_dir=work_dir, base_dir=str(SAMPLE))
        self.convert = FileOrURLToMarkdownConverterLocal(intermediate_dir=f"{work_dir}/markdown")
        self.layout = MinerU2LLMInputOperator()
        self.extract = ChunkedPromptedGenerator(
            llm_serving, system_prompt=QAExtractPrompt().build_prompt(), max_chunk_len=max_chunk_len
        )
        self.parse = LLMOutputParser(output_dir=work_dir)
        self.pair = QA_Merger(output_dir=work_dir)
        self.format = VQAFormatter(image_root=work_dir)

    def forward(self) -> None:
        self.merge.run(
            self.storage.step(),
            input_pdf_list_key="input_pdf_paths",
            input_name_key="name",
            output_pdf_path_key="merged_pdf_path",
        )
        self.convert.run(
            self.storage.step(), input_key="merged_pdf_path", output_key="vqa_markdown_path"
        )
        self.layout.run(
            self.storage.step(),
            input_markdown_path_key="vqa_markdown_path",
            output_converted_layout_key="converted_vqa_layout_path",
        )
        self.extract.run(
            self.storage.step(),
            input_path_key="converted_vqa_layout_path",
            output_path_key="extracted_llm_vqa_path",
        )
        self.parse.run(
            self.storage.step(),
            input_response_path_key="extracted_llm_vqa_path",
            input_converted_layout_path_key="converted_vqa_layout_path",
            input_name_key="name",
            output_qalist_path_key="extracted_vqa_path",
        )
        self.pair.run(
            self.storage.step(),
            input_qalist_path_key="extracted_vqa_path",
            input_name_key="name",
            output_merged_qalist_path_key="output_merged_vqalist_path",
            output_merged_md_path_key="output_merged_md_path",
            output_qa_item_key="vqa_pair",
        )
        self.format.run(
            self.storage.step(),
            input_qa_item_key="vqa_pair",
            output_messages_key="messages",
            output_images_key="images",
        )
