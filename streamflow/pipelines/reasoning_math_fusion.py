"""reasoning_math_fusion: pairs of related math problems fused into new ones (MathFusion;
DataFlow's ``reasoning_math_pipeline_mathfusion``), streaming.

Steps in DataFlow's order: pair each problem with the most similar other one, fuse each pair
three ways (sequential: one problem's answer feeds the other; parallel: both methods at once;
conditional: a question choosing between the two answers, two variants), spread the original
and fused problems into one row each, judge whether each is solvable, and keep the fused ones
with their new problem in ``refined_question``.

Differences from DataFlow, which pairs problems by embedding similarity over the whole dataset
(an embedding service, all embeddings in memory): here a problem is paired with the most similar
problem of its own batch by word-count cosine similarity, so no embedding service is needed and
nothing waits for the whole dataset (a larger ``--batch-size`` gives each problem more
candidates). DataFlow's pandas glue steps are the small operators below. By default it reads
the eight sample problems shipped with streamflow (``question``)::

    streamflow run reasoning_math_fusion --input problems.jsonl --output fused.jsonl
"""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np

from streamflow.actors.base import Filter, Generator, RowGenerator
from streamflow.operators.reasoning.prompts import (
    MathQuestionConditionFusionGeneratorPrompt,
    MathQuestionEvaluatorPrompt,
    MathQuestionParallelFusionGeneratorPrompt,
    MathQuestionSequentialFusionGeneratorPrompt,
)
from streamflow.operators.reasoning.question_evaluators import (
    ReasoningQuestionSolvableSampleEvaluator,
)
from streamflow.operators.reasoning.question_fusion_generator import (
    ReasoningQuestionFusionGenerator,
    new_problem_of,
)
from streamflow.pipeline import Pipeline
from streamflow.prompts.base import as_text
from streamflow.rows import Row
from streamflow.serving.base import LLMServing, SamplingParams
from streamflow.serving.choose import pin_llm_workers, serving_from_environment
from streamflow.storage import FileStorage

SAMPLES = Path(str(resources.files("streamflow.pipelines") / "samples" / "reasoning"))
SAMPLING = SamplingParams(temperature=0.7, top_p=0.95, max_tokens=384)
"""Sampled, so that the two conditional fusions of a pair (one request, n=2) differ."""


class MostSimilarProblemPairer(Generator):
    """Writes to ``output_key`` the problem of the same batch most similar to this row's
    (cosine similarity of word counts); ``""`` when the batch holds no other problem."""

    def process(
        self, rows: list[Row], input_key: str = "question", output_key: str = "most_similar_problem"
    ) -> list[Row]:
        texts = [as_text(r.get(input_key) or "") for r in rows]
        if len(rows) < 2:
            return [{**r, output_key: ""} for r in rows]
        counts = [Counter(re.findall(r"\w+", t.lower())) for t in texts]
        vocabulary = {w: i for i, w in enumerate(sorted(set().union(*counts)))}
        matrix = np.zeros((len(rows), max(1, len(vocabulary))))
        for i, words in enumerate(counts):
            for word, n in words.items():
                matrix[i, vocabulary[word]] = n
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = matrix / np.where(norms == 0, 1, norms)
        similarity = unit @ unit.T
        np.fill_diagonal(similarity, -np.inf)
        best = similarity.argmax(axis=1)
        return [{**r, output_key: texts[j]} for r, j in zip(rows, best, strict=True)]


class FusedQuestionExploder(RowGenerator):
    """One row ``{output_key: text}`` per distinct non-empty text among ``input_keys`` of each
    row (DataFlow melts the question columns into a long table the same way)."""

    def process(
        self, rows: list[Row], input_keys: list[str], output_key: str = "questions"
    ) -> list[list[Row]]:
        out = []
        for row in rows:
            texts = [as_text(row[k]) for k in input_keys if row.get(k)]
            out.append([{output_key: t} for t in dict.fromkeys(t for t in texts if t.strip())])
        return out


class NewProblemExtractor(Filter):
    """Keeps the fusion replies, with the problem after their ``#New Problem#`` heading in
    ``output_key``; drops texts without one (the original problems)."""

    def process(
        self, rows: list[Row], input_key: str = "questions", output_key: str = "refined_question"
    ) -> list[bool | tuple[bool, str]]:
        out: list[bool | tuple[bool, str]] = []
        for row in rows:
            problem = new_problem_of(row.get(input_key))
            if problem is None:
                out.append((False, "no #New Problem# in the text"))
            else:
                row[output_key] = problem
                out.append(True)
        return out


class ReasoningMathFusionPipeline(Pipeline):
    """Pair, fuse three ways, spread, judge solvability, extract the new problems."""

    def __init__(
        self, llm_serving: LLMServing | None = None, llm_workers: int | None = None
    ) -> None:
        self.storage = FileStorage(
            str(SAMPLES / "fusion.jsonl"), output_file="reasoning_math_fusion.jsonl"
        )
        serving = llm_serving if llm_serving is not None else serving_from_environment(SAMPLING)
        self.llm_serving = serving
        self.most_similar_matcher = MostSimilarProblemPairer()
        self.sequential_fusion = ReasoningQuestionFusionGenerator(
            num_prompts=1,
            llm_serving=serving,
            prompt_template=MathQuestionSequentialFusionGeneratorPrompt(),
        )
        self.parallel_fusion = ReasoningQuestionFusionGenerator(
            num_prompts=1,
            llm_serving=serving,
            prompt_template=MathQuestionParallelFusionGeneratorPrompt(),
        )
        self.condition_fusion = ReasoningQuestionFusionGenerator(
            num_prompts=2,
            llm_serving=serving,
            prompt_template=MathQuestionConditionFusionGeneratorPrompt(),
        )
        self.combined_question = FusedQuestionExploder()
        self.question_evaluation = ReasoningQuestionSolvableSampleEvaluator(
            llm_serving=serving, prompt_template=MathQuestionEvaluatorPrompt()
        )
        self.extract_new_problem = NewProblemExtractor()

        pin_llm_workers(self, serving, llm_workers)

    def forward(self) -> None:
        pair = {"input_problem_1": "question", "input_problem_2": "most_similar_problem"}
        self.most_similar_matcher.run(
            self.storage.step(), input_key="question", output_key="most_similar_problem"
        )
        self.sequential_fusion.run(self.storage.step(), **pair, output_key="sequential_fusion")
        self.parallel_fusion.run(self.storage.step(), **pair, output_key="parallel_fusion")
        self.condition_fusion.run(self.storage.step(), **pair, output_key="condition_fusion")
        self.combined_question.run(
            self.storage.step(),
            input_keys=[
                "question",
                "sequential_fusion_question_0",
                "parallel_fusion_question_0",
                "condition_fusion_question_0",
                "condition_fusion_question_1",
            ],
            output_key="questions",
        )
        self.question_evaluation.run(
            self.storage.step(), input_key="questions", output_key="question_solvability"
        )
        self.extract_new_problem.run(
            self.storage.step(), input_key="questions", output_key="refined_question"
        )
