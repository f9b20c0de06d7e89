"""text_sft_synthesis: instruction data from nothing, refined and judged (DataFlow's
``text_sft_synthesis``, Condor's recipe behind DataFlow-Instruct-10K).

CondorGenerator draws themes from a knowledge tree and writes easy, medium and hard questions
with answers; CondorRefiner critiques each answer and rewrites it; AlpagasusFilter keeps the
pairs an LLM judge scores 3 to 5. There is no input file: the rows start as ``num_samples // 3``
seed rows (ids ``gen:0`` ..), so the run streams, resumes exactly after a kill, and a larger
``num_samples`` in the same run directory generates only the new seeds::

    streamflow run text_sft_synthesis --output sft.jsonl --run-dir runs/sft
"""

from __future__ import annotations

from streamflow.operators.text_sft.alpagasus import AlpagasusFilter
from streamflow.operators.text_sft.condor_generator import CondorGenerator
from streamflow.operators.text_sft.condor_refiner import CondorRefiner
from streamflow.operators.text_sft.prompts import CondorQuestionPrompt, CondorRefinePrompt
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.storage import FileStorage


class TextSFTSynthesisPipeline(Pipeline):
    """Condor generation -> Condor refinement -> AlpaGasus filter, from nothing."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_samples: int = 15,
        max_tokens: int = 384,
        min_score: float = 3,
    ) -> None:
        self.storage = FileStorage(output_file="text_sft_synthesis.jsonl")
        if llm_serving is None:
            from streamflow.serving.vllm_backend import VLLMServing

            # SmolLM2 reads 8k tokens; 2k leaves room for long prompts and JSON answers
            llm_serving = VLLMServing(
                params=SamplingParams(max_tokens=max_tokens), max_model_len=2048
            )
        self.generator = CondorGenerator(
            llm_serving,
            num_samples=num_samples,
            prompt_template=CondorQuestionPrompt(),
            max_tokens=max_tokens,
        )
        self.refiner = CondorRefiner(
            llm_serving, prompt_template=CondorRefinePrompt(), max_tokens=max_tokens
        )
        self.alpagasus_filter = AlpagasusFilter(
            min_score=min_score, max_score=5, llm_serving=llm_serving, max_tokens=max_tokens
        )

    def forward(self) -> None:
        self.generator.run(self.storage.step())
        self.refiner.run(
            self.storage.step(), input_instruction_key="instruction", input_output_key="output"
        )
        self.alpagasus_filter.run(
            self.storage.step(), input_instruction_key="instruction", input_output_key="output"
        )
