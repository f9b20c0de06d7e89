"""code_gen_dataset: raw requests -> standardised instructions -> code -> review -> sandbox run
(DataFlow's ``code_gen_dataset`` pipeline), streaming.

Each row's ``input`` (an informal programming request) is rewritten as a standard instruction
with a typed, documented Python function stub; the model writes the code; a reviewer scores the
pair 1-10; pairs scored below 7 are dropped (DataFlow's setting), each with its score as the
reason; the code of the rest runs in the sandbox (``sandbox_status``, ``sandbox_log``). By
default it reads the eight requests shipped with streamflow on the embedded model::

    streamflow run code_gen_dataset --output code_gen.jsonl --run-dir runs/code-gen
"""

from __future__ import annotations

from streamflow.operators.code.enhancement_instruction_generator import (
    CodeEnhancementInstructionGenerator,
)
from streamflow.operators.code.instruction_to_code_generator import (
    CodeInstructionToCodeGenerator,
)
from streamflow.operators.code.quality import (
    REVIEW_SCHEMA,
    CodeQualitySampleEvaluator,
    CodeQualityScoreFilter,
)
from streamflow.operators.code.sandbox_evaluator import CodeSandboxSampleEvaluator
from streamflow.pipeline import Pipeline
from streamflow.pipelines.code_code_to_sft_data import SAMPLES, SAMPLING
from streamflow.sandbox import Sandbox
from streamflow.serving.base import LLMServing
from streamflow.serving.choose import serving_from_environment
from streamflow.storage import FileStorage

__all__ = ["CodeGenDatasetPipeline"]


class CodeGenDatasetPipeline(Pipeline):
    """Standardise, implement, review, filter and run each programming request
    (``llm_workers`` as in
    :class:`~streamflow.pipelines.code_code_to_sft_data.CodeSFTSynthesisPipeline`)."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        min_score: float = 7.0,
        max_score: float = 10.0,
        timeout_length: float = 15,
        sandbox: Sandbox | None = None,
        llm_workers: int | None = None,
    ) -> None:
        self.storage = FileStorage(str(SAMPLES / "raw_code.jsonl"), output_file="code_gen.jsonl")
        serving = llm_serving if llm_serving is not None else serving_from_environment(SAMPLING)
        self.llm_serving = serving
        self.instruction_generater_step1 = CodeEnhancementInstructionGenerator(llm_serving=serving)
        self.code_generator_step2 = CodeInstructionToCodeGenerator(llm_serving=serving)
        self.pair_evaluator_step3 = CodeQualitySampleEvaluator(
            llm_serving=serving, json_schema=REVIEW_SCHEMA
        )
        self.score_filter_step4 = CodeQualityScoreFilter(
            llm_serving=serving, min_score=min_score, max_score=max_score, json_schema=REVIEW_SCHEMA
        )
        self.sandbox_evaluator_step5 = CodeSandboxSampleEvaluator(
            language="python", timeout_length=timeout_length, sandbox=sandbox
        )
        for op in (
            self.instruction_generater_step1,
            self.code_generator_step2,
            self.pair_evaluator_step3,
        ):
            if llm_workers is not None:
                op.options(workers=llm_workers)

    def forward(self) -> None:
        self.instruction_generater_step1.run(
            self.storage.step(), input_key="input", output_key="generated_instruction"
        )
        self.code_generator_step2.run(
            self.storage.step(), input_key="generated_instruction", output_key="generated_code"
        )
        self.pair_evaluator_step3.run(
            self.storage.step(),
            input_instruction_key="generated_instruction",
            input_code_key="generated_code",
        )
        self.score_filter_step4.run(
            self.storage.step(),
            input_instruction_key="generated_instruction",
            input_code_key="generated_code",
            output_score_key="quality_score",
            output_feedback_key="quality_feedback",
            output_key="quality_score_filter_label",
            overwrite=True,  # it re-reads the evaluator's scores and writes them back as they are
        )
        self.sandbox_evaluator_step5.run(self.storage.step(), input_key="generated_code")
