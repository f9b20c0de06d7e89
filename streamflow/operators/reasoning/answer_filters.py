"""Rule-based answer filters: a boxed answer present, a token budget, n-gram repetition, and
the root of DataFlow's answer branch (fill a missing reference answer).

All are cheap synchronous hooks (run in a worker thread by the runtime). A dropped row records
why, with the number that decided it.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Literal

from streamflow.actors.base import Filter
from streamflow.operators.reasoning.answers import extract_answer, extract_boxed, has_boxed
from streamflow.prompts.base import as_text
from streamflow.rows import Row
from streamflow.serving.tokens import TextTokenizer, load_tokenizer, serving_tokenizer

__all__ = [
    "ReasoningAnswerFormatterFilter",
    "ReasoningAnswerNgramFilter",
    "ReasoningAnswerPipelineRootFilter",
    "ReasoningAnswerTokenLengthFilter",
    "repetition_score",
]

Decision = bool | tuple[bool, str]


class ReasoningAnswerFormatterFilter(Filter):
    """Checks that the answers (``input_key``) state their result in a non-empty ``\\boxed{}``.

    DataFlow's operator describes this check but has it commented out, so it keeps every row;
    so does this one by default, and DataFlow's pipelines give the same rows here as there.
    ``require_boxed=True`` (ours) turns the check on: what the operator's description promises,
    and what streamflow's own ``reasoning_math`` pipeline uses.
    """

    def __init__(self, require_boxed: bool = False) -> None:
        self.require_boxed = require_boxed

    def process(self, rows: list[Row], input_key: str = "generated_cot") -> list[Decision]:
        if not self.require_boxed:
            return [True] * len(rows)
        out: list[Decision] = []
        for row in rows:
            value = row.get(input_key)
            if has_boxed(value):
                out.append(True)
            elif value is not None and extract_boxed(str(value)) is not None:
                out.append((False, "empty \\boxed{}"))
            else:
                out.append((False, "no \\boxed{} answer"))
        return out


class ReasoningAnswerTokenLengthFilter(Filter):
    """Keeps the answers of at most ``max_answer_token_length`` tokens.

    Tokens are counted with a real tokenizer, without special tokens: ``tokenizer_dir`` (a
    model directory, a ``tokenizer.json`` or a Hugging Face id), else the model of
    ``llm_serving`` (the in-process vLLM serving's own), else the embedded default model's.
    DataFlow's default, ``Qwen/Qwen2.5-0.5B-Instruct``, needs the Hub; name it to use it. The
    serving is only asked for its tokenizer, never started. An empty or missing answer is
    dropped, as in DataFlow.
    """

    def __init__(
        self,
        max_answer_token_length: int = 8192,
        tokenizer_dir: str | None = None,
        llm_serving: Any = None,
    ) -> None:
        if max_answer_token_length < 1:
            raise ValueError(f"max_answer_token_length must be >= 1, got {max_answer_token_length}")
        self.max_answer_token_length = max_answer_token_length
        self.tokenizer_dir = tokenizer_dir
        self._serving = llm_serving
        self._tokenizer: TextTokenizer | None = None
        self._lock = threading.Lock()

    def tokenizer(self) -> TextTokenizer:
        """Loaded on first use, in the worker thread (it may read or prepare a model)."""
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = (
                    load_tokenizer(self.tokenizer_dir)
                    if self.tokenizer_dir
                    else serving_tokenizer(self._serving)
                )
            return self._tokenizer

    def process(self, rows: list[Row], input_key: str = "generated_cot") -> list[Decision]:
        texts = [row.get(input_key) for row in rows]
        present = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        counts = dict(
            zip(present, self.tokenizer().count_many([str(texts[i]) for i in present]), strict=True)
        )
        limit = self.max_answer_token_length
        out: list[Decision] = []
        for i in range(len(rows)):
            if i not in counts:
                out.append((False, f"empty answer in {input_key!r}"))
            elif counts[i] > limit:
                out.append((False, f"{counts[i]} tokens > {limit}"))
            else:
                out.append(True)
        return out


_CJK = re.compile(r"[\u4e00-\u9fff]")


def repetition_score(text: str, n: int) -> float:
    """Distinct n-grams / all n-grams of ``text``: 1.0 without repetition, near 0 for a loop.

    Text with Chinese characters uses character n-grams (of CJK, Latin letters and digits);
    other text word n-grams (punctuation removed, lower case). Text too short for one n-gram
    scores 0.0, as in DataFlow.
    """
    text = text.lower()
    if _CJK.search(text):
        units = list(re.sub(r"[^\u4e00-\u9fff0-9a-z]", "", text))
    else:
        units = re.sub(r"[^\w\s]", " ", text).split()
    if len(units) < n:
        return 0.0
    grams = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    return len(set(grams)) / len(grams)


class ReasoningAnswerNgramFilter(Filter):
    """Keeps the rows whose question + answer repeat little: a repetition score (distinct
    ``ngrams``-grams over all of them, see :func:`repetition_score`) in
    ``[min_score, max_score]``.

    Question and answer are scored together, as in DataFlow. Out-of-range parameters are an
    error (DataFlow logs them and substitutes defaults).
    """

    def __init__(self, min_score: float = 0.1, max_score: float = 1.0, ngrams: int = 5) -> None:
        if not (0.0 <= min_score <= max_score <= 1.0):
            raise ValueError(
                f"ReasoningAnswerNgramFilter needs 0 <= min_score <= max_score <= 1, got "
                f"{min_score}, {max_score}"
            )
        if ngrams < 1:
            raise ValueError(f"ReasoningAnswerNgramFilter: ngrams must be >= 1, got {ngrams}")
        self.min_score = float(min_score)
        self.max_score = float(max_score)
        self.ngrams = int(ngrams)

    def process(
        self,
        rows: list[Row],
        input_question_key: str = "instruction",
        input_answer_key: str = "generated_cot",
    ) -> list[Decision]:
        out: list[Decision] = []
        for row in rows:
            text = f"{_text(row.get(input_question_key))} {_text(row.get(input_answer_key))}"
            score = repetition_score(text, self.ngrams)
            if self.min_score <= score <= self.max_score:
                out.append(True)
            else:
                bounds = f"[{self.min_score}, {self.max_score}]"
                out.append((False, f"repetition score {score:.3f} outside {bounds}"))
        return out


class ReasoningAnswerPipelineRootFilter(Filter):
    """The root of the answer branch: makes sure each row has a reference answer if it can.

    A row whose ``input_gt_key`` is empty or missing gets the final answer extracted from
    ``input_answer_key`` (Qwen-style, normalised), as in DataFlow; one with neither gets
    ``None`` there. DataFlow then writes the rows with a reference and those without to two
    outputs for two branches; a streamflow pipeline is one stream, so ``branch`` chooses
    which rows go on: ``"all"`` (default: every row, reference filled where possible),
    ``"with_gt"`` (only rows that have one: the ground-truth branch) or ``"without_gt"``
    (the pseudo-answer branch).
    """

    def __init__(self, branch: Literal["all", "with_gt", "without_gt"] = "all") -> None:
        if branch not in ("all", "with_gt", "without_gt"):
            raise ValueError(f"branch must be 'all', 'with_gt' or 'without_gt', got {branch!r}")
        self.branch = branch

    def process(
        self, rows: list[Row], input_answer_key: str = "output", input_gt_key: str = "golden_answer"
    ) -> list[Decision]:
        out: list[Decision] = []
        for row in rows:
            gt = row.get(input_gt_key)
            if gt is None or (isinstance(gt, str) and not gt.strip()):
                answer = row.get(input_answer_key)
                extracted = extract_answer(answer) if answer not in (None, "") else ""
                gt = extracted or None
                row[input_gt_key] = gt
            has_gt = gt is not None
            if self.branch == "with_gt" and not has_gt:
                out.append((False, "no reference answer (the pseudo-answer branch)"))
            elif self.branch == "without_gt" and has_gt:
                out.append((False, "has a reference answer (the ground-truth branch)"))
            else:
                out.append(True)
        return out


def _text(value: Any) -> str:
    return "" if value is None else as_text(value)
