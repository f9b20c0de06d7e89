"""Dataset-level reports of a reasoning dataset: difficulty, category and token-length
distributions.

Rows pass through unchanged; each evaluator counts what it sees and reports at the end of the
stream (the run summary and ``--json`` output show the reports). Counts are kept as plain
dictionaries, saved at every checkpoint, so a resumed or incremental run reports over every row
it has seen, not only the last pass. Token lengths are kept as a histogram (length -> count), so
the state stays small however many rows pass and the median is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from streamflow.actors.base import DatasetEvaluator
from streamflow.operators.reasoning.categories import MATH_CATEGORIES
from streamflow.prompts.base import as_text
from streamflow.rows import Row
from streamflow.serving.tokens import TextTokenizer, load_tokenizer, serving_tokenizer

__all__ = [
    "ReasoningCategoryDatasetEvaluator",
    "ReasoningDifficultyDatasetEvaluator",
    "ReasoningTokenDatasetEvaluator",
]


class ReasoningDifficultyDatasetEvaluator(DatasetEvaluator):
    """How many questions have each difficulty score (``"null"`` for rows without one).

    The report maps each score, as text (``"3"``, ``"4.5"``), to its count, most frequent first.
    """

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def observe(self, rows: list[Row], input_diffulty_key: str = "difficulty_score") -> None:
        for row in rows:
            label = _label(row.get(input_diffulty_key))
            self.counts[label] = self.counts.get(label, 0) + 1

    def report(self) -> dict[str, Any]:
        return dict(sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def state_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.counts = dict(state.get("counts", {}))


class ReasoningCategoryDatasetEvaluator(DatasetEvaluator):
    """How many questions fall in each category of DataFlow's math taxonomy.

    The report maps each primary category seen to ``{"primary_num": n, <secondary>: count,
    ...}``, in taxonomy order. Rows whose primary category is not in the taxonomy (or missing)
    are counted under ``"unclassified"`` (DataFlow leaves them out of its report).
    """

    def __init__(self) -> None:
        self.primary: dict[str, int] = {}
        self.secondary: dict[str, int] = {}

    def observe(
        self,
        rows: list[Row],
        input_primary_category_key: str = "primary_category",
        input_secondary_category_key: str = "secondary_category",
    ) -> None:
        for row in rows:
            primary = str(row.get(input_primary_category_key) or "")
            secondary = str(row.get(input_secondary_category_key) or "")
            self.primary[primary] = self.primary.get(primary, 0) + 1
            key = f"{primary}\x1f{secondary}"
            self.secondary[key] = self.secondary.get(key, 0) + 1

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for primary, secondaries in MATH_CATEGORIES.items():
            if primary not in self.primary:
                continue
            entry: dict[str, int] = {"primary_num": self.primary[primary]}
            for secondary in secondaries:
                count = self.secondary.get(f"{primary}\x1f{secondary}")
                if count:
                    entry[secondary] = count
            out[primary] = entry
        unclassified = sum(n for p, n in self.primary.items() if p not in MATH_CATEGORIES)
        if unclassified:
            out["unclassified"] = unclassified
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"primary": dict(self.primary), "secondary": dict(self.secondary)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.primary = dict(state.get("primary", {}))
        self.secondary = dict(state.get("secondary", {}))


class ReasoningTokenDatasetEvaluator(DatasetEvaluator):
    """Token lengths of the questions and answers: zero-length counts, min, max, mean, median.

    Counted with a real tokenizer, without special tokens: ``model_name_or_path`` (a model
    directory, a ``tokenizer.json`` or a Hugging Face id), else the model of ``llm_serving``
    (the in-process vLLM serving), else the embedded default model. DataFlow requires
    ``model_name_or_path``. A missing question or answer counts as length 0, and the report
    keys are DataFlow's (``questions_min`` ... ``answers_median``; the median is the upper
    one, as DataFlow takes it).
    """

    def __init__(self, model_name_or_path: str | None = None, llm_serving: Any = None) -> None:
        self.model_name_or_path = model_name_or_path
        self._serving = llm_serving
        self._tokenizer: TextTokenizer | None = None
        self._lock = threading.Lock()
        self.questions: dict[int, int] = {}
        self.answers: dict[int, int] = {}

    def tokenizer(self) -> TextTokenizer:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = (
                    load_tokenizer(self.model_name_or_path)
                    if self.model_name_or_path
                    else serving_tokenizer(self._serving)
                )
            return self._tokenizer

    def observe(self, rows: list[Row], input_question_key: str, input_answer_key: str) -> None:
        count = self.tokenizer().count_many
        for key, histogram in (
            (input_question_key, self.questions),
            (input_answer_key, self.answers),
        ):
            for length in count([_text(row.get(key)) for row in rows]):
                histogram[length] = histogram.get(length, 0) + 1

    def report(self) -> dict[str, Any]:
        return {**_summary("questions", self.questions), **_summary("answers", self.answers)}

    def state_dict(self) -> dict[str, Any]:
        # msgspec stores mapping keys as text: lengths go out as strings, come back as ints
        return {
            "questions": {str(k): v for k, v in self.questions.items()},
            "answers": {str(k): v for k, v in self.answers.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.questions = {int(k): int(v) for k, v in state.get("questions", {}).items()}
        self.answers = {int(k): int(v) for k, v in state.get("answers", {}).items()}


def _summary(prefix: str, histogram: Mapping[int, int]) -> dict[str, float | int]:
    total = sum(histogram.values())
    lengths = sorted(histogram)
    if not total:
        return {f"{prefix}_zeros_count": 0, f"{prefix}_min": 0, f"{prefix}_max": 0,
                f"{prefix}_mean": 0, f"{prefix}_median": 0}  # fmt: skip
    middle, seen, median = total // 2, 0, lengths[-1]
    for length in lengths:
        seen += histogram[length]
        if seen > middle:
            median = length
            break
    return {
        f"{prefix}_zeros_count": histogram.get(0, 0),
        f"{prefix}_min": lengths[0],
        f"{prefix}_max": lengths[-1],
        f"{prefix}_mean": sum(k * n for k, n in histogram.items()) / total,
        f"{prefix}_median": median,
    }


def _label(value: Any) -> str:
    if value is None or value == "":
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else as_text(value)
