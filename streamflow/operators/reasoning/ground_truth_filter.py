"""ReasoningAnswerGroundTruthFilter: keeps the solutions whose final answer equals the reference."""

from __future__ import annotations

from typing import Literal

from streamflow.actors.base import Filter
from streamflow.operators.reasoning.answers import (
    extract_answer,
    extract_boxed,
    extract_gsm8k_marker,
    normalize_answer,
)
from streamflow.operators.reasoning.verify import DEFAULT_TIMEOUT_S, AnswerVerifier, shared_verifier
from streamflow.prompts.base import as_text
from streamflow.rows import Failure, Row

__all__ = ["ReasoningAnswerGroundTruthFilter", "reference_answer"]


def reference_answer(value: object) -> str:
    """A reference as the comparison needs it: GSM8K's ``#### N``, a ``\\boxed{}``, or the
    text itself."""
    if value is None:
        return ""
    text = as_text(value)
    return extract_gsm8k_marker(text) or extract_boxed(text) or text


class ReasoningAnswerGroundTruthFilter(Filter):
    """Keeps a row when the final answer of its solution equals its reference answer.

    The answer is extracted from ``input_test_answer_key`` as the Qwen math evaluation does
    (boxed, "the answer is", the last number; see ``answers``); the reference in
    ``input_gt_answer_key`` may be a bare answer, a ``\\boxed{}`` or a GSM8K solution ending in
    ``#### N``. ``compare_method``:

    - ``"math_verify"`` (default): equal after normalisation, equal as numbers (tolerance
      1e-4, percent forms), or equivalent for math-verify, which runs in worker processes
      with a hard limit of ``timeout`` seconds per row (see ``verify``). A row whose check
      times out or crashes math-verify fails, with the reason ("math-verify timed out after
      5s"), instead of hanging the run;
    - ``"exact"``: the normalised strings are equal (DataFlow compares the raw strings).

    A dropped row's reason gives both answers. A row without a reference is dropped ("no
    reference answer"); DataFlow compares it against the text "nan" and drops it too.
    The processes are shared by every such filter in the process (``processes`` of them, by
    default up to four) and stop at exit.
    """

    def __init__(
        self,
        compare_method: Literal["math_verify", "exact"] = "math_verify",
        timeout: float = DEFAULT_TIMEOUT_S,
        processes: int | None = None,
    ) -> None:
        if compare_method not in ("math_verify", "exact"):
            raise ValueError(
                f"compare_method must be 'math_verify' or 'exact', got {compare_method!r}"
            )
        self.compare_method = compare_method
        self.timeout = timeout
        self.processes = processes
        self._verifier: AnswerVerifier | None = None
        if compare_method == "math_verify":
            self.verifier()  # fails here, naming the extra, when math-verify is missing

    def verifier(self) -> AnswerVerifier:
        if self._verifier is None or self._verifier._closed:
            self._verifier = shared_verifier(self.timeout, self.processes)
        return self._verifier

    def process(
        self,
        rows: list[Row],
        input_test_answer_key: str = "generated_cot",
        input_gt_answer_key: str = "golden_answer",
    ) -> list[bool | tuple[bool, str] | Failure]:
        answers = [extract_answer(row.get(input_test_answer_key)) for row in rows]
        references = [reference_answer(row.get(input_gt_answer_key)) for row in rows]
        if self.compare_method == "exact":
            return [
                _decide(a, r, a == normalize_answer(r), "")
                for a, r in zip(answers, references, strict=True)
            ]
        verdicts = self.verifier().check_many(list(zip(references, answers, strict=True)))
        out: list[bool | tuple[bool, str] | Failure] = []
        for answer, reference, verdict in zip(answers, references, verdicts, strict=True):
            if verdict.equal is None and verdict.reason == "empty reference answer":
                out.append((False, "no reference answer"))
            elif verdict.equal is None:
                out.append(Failure(f"answer check: {verdict.reason}"))
            else:
                out.append(_decide(answer, reference, verdict.equal, verdict.reason))
        return out


def _decide(answer: str, reference: str, equal: bool, how: str) -> bool | tuple[bool, str]:
    if not reference.strip():
        return False, "no reference answer"
    if equal:
        return True
    if not answer:
        return False, "no final answer in the solution"
    detail = f" ({how})" if how else ""
    return False, f"answer '{answer[:60]}' != reference '{reference[:60]}'{detail}"
