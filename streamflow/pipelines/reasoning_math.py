"""reasoning_math: math problems -> new problems -> checked step-by-step solutions (DataFlow's
``reasoning_math_pipeline``), streaming.

DataFlow's steps in DataFlow's order: judge the seed problems, synthesise three new ones per
seed, judge again, rate difficulty and classify, solve, then keep the solutions that box an
answer, fit the token budget, match the reference answer and do not loop. Dataset reports
(difficulty, category, token lengths) appear in the run summary. As in DataFlow, new problems
have no reference answer, so the ground-truth filter drops them (with that reason); use
``reasoning_pretrain``'s answer branch, or a pseudo-answer step, to keep them.

By default it reads the ten sample problems shipped with streamflow (``instruction``,
``golden_answer``) and runs on the embedded model; ``OPENAI_BASE_URL`` switches to a server::

    streamflow run reasoning_math --run-dir runs/math
    streamflow run reasoning_math --input problems.jsonl --output solved.jsonl
    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 streamflow run reasoning_math --model Qwen2.5-7B

The judges ask for structured output (a JSON schema the serving enforces), so even a small model
gives verdicts that can be read; a reply that still cannot be read is a dead letter.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.reasoning._base import JUDGEMENT_TEST_SCHEMA
from streamflow.operators.reasoning.answer_filters import (
    ReasoningAnswerFormatterFilter,
    ReasoningAnswerNgramFilter,
    ReasoningAnswerTokenLengthFilter,
)
from streamflow.operators.reasoning.answer_generator import ReasoningAnswerGenerator
from streamflow.operators.reasoning.dataset_evaluators import (
    ReasoningCategoryDatasetEvaluator,
    ReasoningDifficultyDatasetEvaluator,
    ReasoningTokenDatasetEvaluator,
)
from streamflow.operators.reasoning.ground_truth_filter import ReasoningAnswerGroundTruthFilter
from streamflow.operators.reasoning.prompts import (
    MathAnswerGeneratorPrompt,
    MathQuestionFilterPrompt,
    MathQuestionSynthesisPrompt,
)
from streamflow.operators.reasoning.question_evaluators import (
    CATEGORY_SCHEMA,
    DIFFICULTY_SCHEMA,
    ReasoningQuestionCategorySampleEvaluator,
    ReasoningQuestionDifficultySampleEvaluator,
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
"""Greedy, and room for a worked solution within the embedded model's 1,024-token context."""


class ReasoningMathPipeline(Pipeline):
    """Judge, synthesise, judge, rate, classify, solve, and filter math problems."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_prompts: int = 3,
        max_answer_token_length: int = 8192,
        tokenizer_dir: str | None = None,
        llm_workers: int | None = None,
    ) -> None:
        self.storage = FileStorage(str(SAMPLES / "math.jsonl"), output_file="reasoning_math.jsonl")
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
        self.question_filter_step3 = ReasoningQuestionFilter(
            system_prompt=JUDGE_SYSTEM_PROMPT,
            llm_serving=serving,
            prompt_template=MathQuestionFilterPrompt(),
            json_schema=JUDGEMENT_TEST_SCHEMA,
        )
        self.question_difficulty_step4 = ReasoningQuestionDifficultySampleEvaluator(
            llm_serving=serving, json_schema=DIFFICULTY_SCHEMA
        )
        self.difficulty_report = ReasoningDifficultyDatasetEvaluator()
        self.question_category_step5 = ReasoningQuestionCategorySampleEvaluator(
            llm_serving=serving, json_schema=CATEGORY_SCHEMA
        )
        self.category_report = ReasoningCategoryDatasetEvaluator()
        self.answer_generator_step7 = ReasoningAnswerGenerator(
            llm_serving=serving, prompt_template=MathAnswerGeneratorPrompt()
        )
        self.answer_format_filter_step8 = ReasoningAnswerFormatterFilter(require_boxed=True)
        tokenizer_source = serving if hasattr(serving, "text_tokenizer") else None
        self.answer_token_length_filter_step9 = ReasoningAnswerTokenLengthFilter(
            max_answer_token_length=max_answer_token_length,
            tokenizer_dir=tokenizer_dir,
            llm_serving=tokenizer_source,
        )
        self.answer_groundtruth_filter_step10 = ReasoningAnswerGroundTruthFilter()
        self.answer_ngram_filter_step11 = ReasoningAnswerNgramFilter(
            min_score=0.1, max_score=1.0, ngrams=5
        )
        self.token_report = ReasoningTokenDatasetEvaluator(tokenizer_dir, tokenizer_source)

        pin_llm_workers(self, serving, llm_workers)

    def forward(self) -> None:
        self.question_filter_step1.run(self.storage.step(), input_key="instruction")
        self.question_gen_step2.run(self.storage.step(), input_key="instruction")
        self.question_filter_step3.run(self.storage.step(), input_key="instruction")
        self.question_difficulty_step4.run(
            self.storage.step(), input_key="instruction", output_key="question_difficulty"
        )
        self.question_category_step5.run(
            self.storage.step(), input_key="instruction", output_key="question_category"
        )
        self.answer_generator_step7.run(
            self.storage.step(), input_key="instruction", output_key="generated_cot"
        )
        # Steps 4, 5 and 7 read only the question: they work on each batch side by side.
        self.difficulty_report.run(self.storage.step(), input_diffulty_key="question_difficulty")
        self.category_report.run(self.storage.step())
        self.answer_format_filter_step8.run(self.storage.step(), input_key="generated_cot")
        self.answer_token_length_filter_step9.run(self.storage.step(), input_key="generated_cot")
        self.answer_groundtruth_filter_step10.run(
            self.storage.step(),
            input_test_answer_key="generated_cot",
            input_gt_answer_key="golden_answer",
        )
        self.answer_ngram_filter_step11.run(
            self.storage.step(), input_question_key="instruction", input_answer_key="generated_cot"
        )
        self.token_report.run(
            self.storage.step(), input_question_key="instruction", input_answer_key="generated_cot"
        )
