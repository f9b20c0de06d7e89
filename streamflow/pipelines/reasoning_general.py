"""reasoning_general: reasoning tasks -> new tasks -> solutions judged against the reference
(DataFlow's ``reasoning_general_pipeline``), streaming.

Steps in DataFlow's order: judge the seed tasks, synthesise one new task per seed, solve every
task, let the model compare each solution with the reference answer (every row is kept, the
verdict in ``answer_match_result``: new tasks have no reference, so their verdict is False), and
drop looping solutions. By default it reads the six sample tasks shipped with streamflow
(``instruction``, ``golden_answer``) on the embedded model; ``OPENAI_BASE_URL`` switches to a
server::

    streamflow run reasoning_general --input tasks.jsonl --output solved.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.reasoning._base import JUDGEMENT_RESULT_SCHEMA, JUDGEMENT_TEST_SCHEMA
from streamflow.operators.reasoning.answer_filters import ReasoningAnswerNgramFilter
from streamflow.operators.reasoning.answer_generator import ReasoningAnswerGenerator
from streamflow.operators.reasoning.model_judge_filter import ReasoningAnswerModelJudgeFilter
from streamflow.operators.reasoning.prompts import (
    AnswerJudgePrompt,
    GeneralAnswerGeneratorPrompt,
    GeneralQuestionFilterPrompt,
    GeneralQuestionSynthesisPrompt,
)
from streamflow.operators.reasoning.question_filter import ReasoningQuestionFilter
from streamflow.operators.reasoning.question_generator import ReasoningQuestionGenerator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.serving.choose import pin_llm_workers, serving_from_environment
from streamflow.storage import FileStorage

SAMPLES = Path(str(resources.files("streamflow.pipelines") / "samples" / "reasoning"))
JUDGE_SYSTEM_PROMPT = (
    "You are an expert in evaluating problems. Follow the user's instructions strictly and "
    "give your final judgment in the required JSON format."
)
SAMPLING = SamplingParams(temperature=0.0, max_tokens=384)


class ReasoningGeneralPipeline(Pipeline):
    """Judge, synthesise, solve, judge the answers, and filter general reasoning tasks."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        num_prompts: int = 1,
        llm_workers: int | None = None,
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLES / "general.jsonl"), output_file="reasoning_general.jsonl"
        )
        serving = llm_serving if llm_serving is not None else serving_from_environment(SAMPLING)
        self.llm_serving = serving
        self.question_filter_step1 = ReasoningQuestionFilter(
            system_prompt=JUDGE_SYSTEM_PROMPT,
            llm_serving=serving,
            prompt_template=GeneralQuestionFilterPrompt(),
            json_schema=JUDGEMENT_TEST_SCHEMA,
        )
        self.question_gen_step2 = ReasoningQuestionGenerator(
            num_prompts=num_prompts,
            llm_serving=serving,
            prompt_template=GeneralQuestionSynthesisPrompt(),
        )
        self.answer_generator_step3 = ReasoningAnswerGenerator(
            llm_serving=serving, prompt_template=GeneralAnswerGeneratorPrompt()
        )
        self.answer_model_judge_step4 = ReasoningAnswerModelJudgeFilter(
            llm_serving=serving,
            prompt_template=AnswerJudgePrompt(),
            keep_all_samples=True,
            json_schema=JUDGEMENT_RESULT_SCHEMA,
        )
        self.answer_ngram_filter_step5 = ReasoningAnswerNgramFilter(
            min_score=0.1, max_score=1.0, ngrams=5
        )

        pin_llm_workers(self, serving, llm_workers)

    def forward(self) -> None:
        self.question_filter_step1.run(self.storage.step(), input_key="instruction")
        self.question_gen_step2.run(self.storage.step(), input_key="instruction")
        self.answer_generator_step3.run(
            self.storage.step(), input_key="instruction", output_key="generated_cot"
        )
        self.answer_model_judge_step4.run(
            self.storage.step(),
            input_question_key="instruction",
            input_answer_key="generated_cot",
            input_reference_key="golden_answer",
        )
        self.answer_ngram_filter_step5.run(
            self.storage.step(), input_question_key="instruction", input_answer_key="generated_cot"
        )
