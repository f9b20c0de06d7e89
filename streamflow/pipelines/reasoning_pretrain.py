"""reasoning_pretrain: math problems -> new problems -> solutions -> pretraining text
(DataFlow's ``reasoning_pretrain_pipeline``), streaming.

Steps in DataFlow's order: judge the seed problems, synthesise three new ones per seed, fill a
missing reference answer from a worked solution (``output``) where a row has one (the answer
branch's root), solve every problem, drop looping solutions, and turn each question-solution
pair into one ``text`` field. By default it reads the sample problems shipped with streamflow
(``instruction``, ``output``, ``golden_answer``) on the embedded model; ``OPENAI_BASE_URL``
switches to a server::

    streamflow run reasoning_pretrain --input problems.jsonl --output pretrain.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.reasoning._base import JUDGEMENT_TEST_SCHEMA
from streamflow.operators.reasoning.answer_filters import (
    ReasoningAnswerNgramFilter,
    ReasoningAnswerPipelineRootFilter,
)
from streamflow.operators.reasoning.answer_generator import ReasoningAnswerGenerator
from streamflow.operators.reasoning.pretrain_format import ReasoningPretrainFormatConvertGenerator
from streamflow.operators.reasoning.prompts import (
    MathAnswerGeneratorPrompt,
    MathQuestionFilterPrompt,
    MathQuestionSynthesisPrompt,
)
from streamflow.operators.reasoning.question_filter import ReasoningQuestionFilter
from streamflow.operators.reasoning.question_generator import ReasoningQuestionGenerator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.serving.choose import pin_llm_workers, serving_from_environment
from streamflow.storage import FileStorage

SAMPLES = Path(str(resources.files("streamflow.pipelines") / "samples" / "reasoning"))
JUDGE_SYSTEM_PROMPT = (
    "You are an expert in evaluating mathematical problems. Follow the user's instructions "
    "strictly and give your final judgment in the required JSON format."
)
SAMPLING = SamplingParams(temperature=0.0, max_tokens=384)


class ReasoningPretrainPipeline(Pipeline):
    """Judge, synthesise, solve and filter math problems, then write them as plain text."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_prompts: int = 3,
        llm_workers: int | None = None,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLES / "pretrain.jsonl"), output_file="reasoning_pretrain.jsonl"
        )
        serving = llm_serving if llm_serving is not None else serving_from_environment(SAMPLING)
        self.llm_serving = serving
        self.question_filter_step1 = ReasoningQuestionFilter(
            system_prompt=JUDGE_SYSTEM_PROMPT,
            llm_serving=serving,
            prompt_template=MathQuestionFilterPrompt(),
            json_schema=JUDGEMENT_TEST_SCHEMA,
        )
        self.question_gen_step2 = ReasoningQuestionGenerator(
            num_prompts=num_prompts,
            llm_serving=serving,
            prompt_template=MathQuestionSynthesisPrompt(),
        )
        self.answer_pipeline_root_step3 = ReasoningAnswerPipelineRootFilter()
        self.answer_generator_step4 = ReasoningAnswerGenerator(
            llm_serving=serving, prompt_template=MathAnswerGeneratorPrompt()
        )
        self.answer_ngram_filter_step5 = ReasoningAnswerNgramFilter(
            min_score=0.1, max_score=1.0, ngrams=5
        )
        self.sft_to_pretrain_step6 = ReasoningPretrainFormatConvertGenerator()

        pin_llm_workers(self, serving, llm_workers)

    def forward(self) -> None:
        self.question_filter_step1.run(self.storage.step(), input_key="instruction")
        self.question_gen_step2.run(self.storage.step(), input_key="instruction")
        self.answer_pipeline_root_step3.run(
            self.storage.step(), input_answer_key="output", input_gt_key="golden_answer"
        )
        self.answer_generator_step4.run(
            self.storage.step(), input_key="instruction", output_key="generated_cot"
        )
        self.answer_ngram_filter_step5.run(
            self.storage.step(), input_question_key="instruction", input_answer_key="generated_cot"
        )
        self.sft_to_pretrain_step6.run(
            self.storage.step(),
            input_read_key_question="instruction",
            input_read_key_answer="generated_cot",
            output_key="text",
        )
