"""agentic_rag: documents -> verifiable atomic questions that need retrieval -> F1 of answers.

DataFlow's agentic-RAG pipeline: for each document (field ``contents``), the atomic task
generator finds checkable facts, asks a question for each, and keeps the questions the model
cannot answer unaided but can answer from the document; the F1 evaluator then scores the refined
answer against the answer given with the document (SQuAD token F1). By default it reads the
sample documents shipped with streamflow::

    streamflow run agentic_rag --output tasks.jsonl --run-dir runs/rag
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from streamflow.operators.agentic_rag.f1_sample_evaluator import AgenticRAGQAF1SampleEvaluator
from streamflow.operators.agentic_rag.generators import AgenticRAGAtomicTaskGenerator
from streamflow.pipeline import Pipeline
from streamflow.serving.base import LLMServing
from streamflow.storage import FileStorage

SAMPLE = Path(str(resources.files("streamflow.pipelines") / "samples" / "agentic_rag"))


class AgenticRAGPipeline(Pipeline):
    """Atomic question generation, then SQuAD F1 of the refined answer."""

    def __init__(self, llm_serving: LLMServing | None = None, *, max_per_task: int = 10) -> None:
        self.storage = FileStorage(str(SAMPLE / "documents.jsonl"), output_file="agentic_rag.jsonl")
        self.tasks = AgenticRAGAtomicTaskGenerator(llm_serving, max_per_task=max_per_task)
        self.f1 = AgenticRAGQAF1SampleEvaluator()

    def forward(self) -> None:
        self.tasks.run(self.storage.step(), input_key="contents")
        self.f1.run(
            self.storage.step(),
            output_key="F1Score",
            input_prediction_key="refined_answer",
            input_ground_truth_key="golden_doc_answer",
        )
