"""code_code_to_sft_data: code -> instruction -> new code -> review -> sandbox run (DataFlow's
``code_code_to_sft_data`` pipeline), streaming.

Each row's ``raw_code`` is described as an instruction; the model writes code for that
instruction; a reviewer scores the (instruction, code) pair 1-10 with feedback (asked for
structured output, so that a small model's review can be read); the filter keeps
scores in [0, 10] (DataFlow's setting: every reviewed pair); the generated code runs in the
sandbox (:mod:`streamflow.sandbox`: no network, limits, nothing left running), its verdict in
``sandbox_status`` (PASS/FAIL) and ``sandbox_log``. By default it reads the eight functions
shipped with streamflow on the embedded model; ``OPENAI_BASE_URL`` switches to a server::

    streamflow run code_code_to_sft_data --output sft.jsonl --run-dir runs/code-sft
    streamflow run code_code_to_sft_data --input my_code.jsonl --output sft.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.code.code_to_instruction_generator import (
    CodeCodeToInstructionGenerator,
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
from streamflow.sandbox import Sandbox
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.serving.choose import serving_from_environment
from streamflow.storage import FileStorage

__all__ = ["SAMPLES", "SAMPLING", "CodeSFTSynthesisPipeline"]

SAMPLES = Path(str(resources.files("streamflow.pipelines") / "samples" / "code"))
SAMPLING = SamplingParams(temperature=0.0, max_tokens=512)


class CodeSFTSynthesisPipeline(Pipeline):
    """Instruction, code, review and sandbox verdict for each piece of seed code.

    ``llm_workers`` pins each LLM step to that many batches at once; None (the default) sizes
    each step's window from the serving's admission limit (B13: 31-34 rows/s against 24-25 with
    32 batches pinned)."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        min_score: float = 0.0,
        max_score: float = 10.0,
        timeout_length: float = 15,
        sandbox: Sandbox | None = None,
        llm_workers: int | None = None,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLES / "code_synthesis_input.jsonl"), output_file="code_sft.jsonl"
        )
        serving = llm_serving if llm_serving is not None else serving_from_environment(SAMPLING)
        self.llm_serving = serving
        self.instruction_synthesizer_step1 = CodeCodeToInstructionGenerator(llm_serving=serving)
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
            self.instruction_synthesizer_step1,
            self.code_generator_step2,
            self.pair_evaluator_step3,
        ):
            if llm_workers is not None:
                op.options(workers=llm_workers)

    def forward(self) -> None:
        self.instruction_synthesizer_step1.run(
            self.storage.step(), input_key="raw_code", output_key="generated_instruction"
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
            output_key="quality_score_filter_label",
            overwrite=True,  # it re-reads the evaluator's scores and writes them back as they are
        )
        self.sandbox_evaluator_step5.run(self.storage.step(), input_key="generated_code")
