"""web_summary: web_text, then a one-sentence summary of each page by an LLM.

With no serving configured it uses the embedded default model (SmolLM2-135M-Instruct on vLLM,
CPU or GPU), so it runs on a machine with no GPU and no API key::

    streamflow run web_summary --output summaries.jsonl --run-dir runs/summaries
"""

from __future__ import annotations

from streamflow.operators.core_text import PromptedGenerator
from streamflow.pipelines.web_text import WebTextPipeline
from streamflow.serving.base import LLMServing, SamplingParams

SYSTEM_PROMPT = (
    "You summarize web pages. Reply with exactly one short sentence saying what the page is "
    "about. No preamble."
)


class WebSummaryPipeline(WebTextPipeline):
    """Clean main text of web pages plus a one-sentence LLM summary of each."""

    def __init__(self, llm_serving: LLMServing | None = None) -> None:
        super().__init__()
        self.storage.output_file = self.storage.output_file.with_name("web_summary.jsonl")
        if llm_serving is None:
            from streamflow.serving.vllm_backend import VLLMServing

            llm_serving = VLLMServing(params=SamplingParams(max_tokens=48))
        # The summaries are capped at a few dozen tokens on purpose: a small model that goes on
        # past its sentence is cut off there, and its summary is kept (and counted) rather than
        # failed, as truncated answers otherwise are.
        self.summarize = PromptedGenerator(
            llm_serving, system_prompt=SYSTEM_PROMPT, accept_truncated=True
        )

    def forward(self) -> None:
        super().forward()
        self.summarize.run(self.storage.step(), input_key="text", output_key="summary")
