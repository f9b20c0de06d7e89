"""bench_eval: answer a benchmark with a model and score the answers (DataFlow's bench
evaluation pipelines).

BenchAnswerGenerator asks the model each ``question`` (``generated_ans``), then
UnifiedBenchDatasetEvaluator scores it against ``golden_answer``: with ``semantic=False``
(default) the answer matches when its text contains the reference or its final answer is
mathematically equal to it (``eval_score`` 1/0 per row); with ``semantic=True`` an LLM judge
decides. The report (accuracy over valid rows) is in the run summary and, with
``eval_result_path``, in a JSON file. The model is the embedded SmolLM2 unless ``llm_serving``
is given; a sample of eight questions ships with streamflow::

    streamflow run bench_eval --input my_bench.jsonl --output scored.jsonl
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.core_text import BenchAnswerGenerator, UnifiedBenchDatasetEvaluator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing
from streamflow.storage import FileStorage

__all__ = ["BenchEvalPipeline"]

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "bench_eval"))


class BenchEvalPipeline(Pipeline):
    """BenchAnswerGenerator -> UnifiedBenchDatasetEvaluator (key2_qa)."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        judge_serving: LLMServing | None = None,
        semantic: bool = False,
        eval_result_path: str | None = None,
        question_key: str = "question",
        answer_key: str = "golden_answer",
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLE / "bench_input.jsonl"), output_file="bench_eval.jsonl"
        )
        self.question_key, self.answer_key = question_key, answer_key
        self.answer_generator = BenchAnswerGenerator(
            "key2_qa",
            llm_serving,
            system_prompt="Answer the question. End with the final answer alone on the last line.",
        )
        self.evaluator = UnifiedBenchDatasetEvaluator(
            eval_result_path=eval_result_path,
            eval_type="key2_qa",
            llm_serving=(judge_serving or llm_serving) if semantic else None,
            use_semantic_judge=semantic,
        )

    def forward(self) -> None:
        self.answer_generator.run(
            self.storage.step(), input_question_key=self.question_key, output_key="generated_ans"
        )
        self.evaluator.run(
            self.storage.step(),
            input_question_key=self.question_key,
            input_target_key=self.answer_key,
            input_pred_key="generated_ans",
        )
