"""UnifiedBenchDatasetEvaluator: one evaluator for six shapes of benchmark.

``eval_type`` says what a row holds and how it is scored (``metric_type`` overrides the
default metric):

==================== ================================================ ========================
eval_type            fields (``run()`` keys)                          default metric
==================== ================================================ ========================
key1_text_score      text                                             ``ppl``
key2_qa              question, target, prediction                     ``math_verify``
                                                                      (``semantic_judge`` with
                                                                      ``use_semantic_judge``)
key2_q_ma            question, targets (a list), prediction           ``any_math_verify``
key3_q_choices_a     question, choices, label, prediction             ``ll_choice_acc``
key3_q_choices_as    question, choices, labels, prediction            ``micro_f1``
key3_q_a_rejected    question, better, rejected                       ``pairwise_ll_winrate``
==================== ================================================ ========================

Each row gets ``eval_valid``, ``eval_error`` (why a row could not be scored: ``empty_reference``,
``parse_failed``, ...), ``eval_pred`` (what was compared) and ``eval_score`` (1/0, or the F1 of a
multiple selection, or the perplexity). QA answers match when the normalised texts contain one
another, or when the extracted final answer is mathematically equal (the reasoning family's
checker). The report gives the accuracy (or mean micro-F1, or mean perplexity) over the valid
rows and is written to ``eval_result_path`` when one is given.

Likelihood metrics need a serving that scores continuations: DataFlow probes the serving for a
``loglikelihood``-style method, and so does this operator (``loglikelihood(prompts,
continuations) -> list[float]``, ``perplexity(texts) -> list[float]``). streamflow's servings do
not offer one, so there ``key1_text_score`` and ``key3_q_a_rejected`` rows are marked invalid
(``ppl_unavailable``, ``ll_unavailable``) and ``key3_q_choices_a`` falls back, as in DataFlow, to
reading the letter in the generated answer. Rows are annotated in place and the counts kept as
plain data (see :mod:`streamflow.operators.core_text._bench`).
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from typing import Any

from streamflow.actors.base import DatasetEvaluator
from streamflow.operators.core_text._bench import judge_verdict, math_matches, write_report
from streamflow.operators.core_text.bench_answer_generator import (
    EvalType,
    as_choices,
    check_eval_type,
    context_text,
)
from streamflow.operators.core_text.bench_prompts import AnswerJudgePrompt
from streamflow.operators.llm import ask_each, default_serving, has_content
from streamflow.prompts.base import DIYPromptABC, as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = [
    "UnifiedBenchDatasetEvaluator",
    "choice_index",
    "choice_set",
    "normalize_for_match",
    "set_f1",
]

DEFAULT_METRICS = {
    "key1_text_score": "ppl",
    "key2_qa": "math_verify",
    "key2_q_ma": "any_math_verify",
    "key3_q_choices_a": "ll_choice_acc",
    "key3_q_choices_as": "micro_f1",
    "key3_q_a_rejected": "pairwise_ll_winrate",
}
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def normalize_for_match(text: Any) -> str:
    """NFKC, subscript digits as digits, spacing collapsed, one final stop removed, casefolded."""
    s = unicodedata.normalize("NFKC", "" if text is None else str(text)).translate(_SUBSCRIPTS)
    s = re.sub(r"\s+", " ", s.strip())
    if s.endswith((".", "。", "!", "！", "?", "？")):
        s = s[:-1].strip()
    return s.casefold()


def contains_match(prediction: Any, reference: Any) -> bool:
    p, r = normalize_for_match(prediction), normalize_for_match(reference)
    return bool(p and r) and (r in p or p in r)


def _index(value: Any, n: int) -> int | None:
    """A label as a 0-based index: an int (0- or 1-based), a letter, or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < n else value - 1 if 1 <= value <= n else None
    s = str(value).strip()
    if len(s) == 1 and s.isalpha():
        i = ord(s.upper()) - ord("A")
        return i if 0 <= i < n else None
    return _index(int(s), n) if s.isdigit() else None


def choice_index(text: Any, n: int) -> int | None:
    """The choice a generated answer names: its first standalone letter, else first number."""
    s = "" if text is None else str(text)
    for pattern in (r"\b([A-Za-z])\b", r"\b(\d+)\b"):
        found = re.search(pattern, s)
        if found and (i := _index(found.group(1), n)) is not None:
            return i
    return None


def choice_set(value: Any, n: int) -> set[int] | None:
    """The choices a multiple selection names (a list, JSON list, letters or numbers)."""
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, list):
        found = {i for v in value if (i := _index(v, n)) is not None}
        return found or None
    s = "" if value is None else str(value)
    for pattern in (r"\b([A-Za-z])\b", r"\b(\d+)\b"):
        found = {i for m in re.findall(pattern, s) if (i := _index(m, n)) is not None}
        if found:
            return found
    return None


def set_f1(predicted: set[int], gold: set[int]) -> float:
    common = len(predicted & gold)
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


class UnifiedBenchDatasetEvaluator(DatasetEvaluator):
    """Scores a benchmark of any of six shapes (see the module docstring)."""

    ALLOWED_PROMPTS = (AnswerJudgePrompt,)

    def __init__(
        self,
        eval_result_path: str | None = None,
        eval_type: EvalType = "key2_qa",
        llm_serving: LLMServing | None = None,
        prompt_template: AnswerJudgePrompt | DIYPromptABC | None = None,
        system_prompt: str = "You are a helpful assistant specialized in evaluating answer "
        "correctness.",
        metric_type: str | None = None,
        use_semantic_judge: bool = False,
    ) -> None:
        check_eval_type(self.name, eval_type)
        self.check_prompt_template(prompt_template)
        self.eval_result_path = eval_result_path
        self.eval_type = eval_type
        self.prompt_template = prompt_template or AnswerJudgePrompt()
        self.system_prompt = system_prompt
        self.use_semantic_judge = use_semantic_judge
        self.metric_type = metric_type or (
            "semantic_judge"
            if eval_type == "key2_qa" and use_semantic_judge
            else DEFAULT_METRICS[eval_type]
        )
        # The judge: only the semantic metric needs one (the embedded model when none is given)
        self.llm_serving: LLMServing | None = (
            llm_serving
            if llm_serving is not None or self.metric_type != "semantic_judge"
            else default_serving()
        )
        self.total = self.valid = 0
        self.score_sum = 0.0

    def _likelihood(self, name: str) -> Any:
        serving = self.llm_serving
        method = getattr(serving, name, None) if serving is not None else None
        return method if callable(method) else None

    async def observe(
        self,
        rows: list[Row],
        input_text_key: str | None = None,
        input_question_key: str | None = None,
        input_target_key: str | None = None,
        input_targets_key: str | None = None,
        input_choices_key: str | None = None,
        input_label_key: str | None = None,
        input_labels_key: str | None = None,
        input_better_key: str | None = None,
        input_rejected_key: str | None = None,
        input_context_key: str | None = None,
        input_pred_key: str = "generated_ans",
        output_eval_valid_key: str = "eval_valid",
        output_eval_error_key: str = "eval_error",
        output_eval_pred_key: str = "eval_pred",
        output_eval_score_key: str = "eval_score",
    ) -> None:
        keys = (
            output_eval_valid_key,
            output_eval_error_key,
            output_eval_pred_key,
            output_eval_score_key,
        )
        results: list[tuple[float | None, Any, str]]  # (score, pred, error)
        t = self.eval_type
        if t == "key1_text_score":
            results = await self._perplexity(rows, input_text_key)
        elif t == "key2_qa":
            results = await self._qa(
                rows, input_target_key, input_pred_key, input_question_key, multi=False
            )
        elif t == "key2_q_ma":
            results = await self._qa(rows, input_targets_key, input_pred_key, None, multi=True)
        elif t == "key3_q_choices_a":
            results = await self._single_choice(
                rows,
                input_question_key,
                input_choices_key,
                input_label_key,
                input_pred_key,
                input_context_key,
            )
        elif t == "key3_q_choices_as":
            results = self._multi_choice(rows, input_choices_key, input_labels_key, input_pred_key)
        else:
            results = await self._pairwise(
                rows, input_question_key, input_better_key, input_rejected_key, input_context_key
            )
        for row, (score, pred, error) in zip(rows, results, strict=True):
            valid = score is not None
            row.update(dict(zip(keys, (valid, error, pred, score), strict=True)))
            self.total += 1
            if valid and score is not None:
                self.valid += 1
                self.score_sum += score

    # -- the six shapes ----------------------------------------------------------------------

    async def _perplexity(self, rows: list[Row], text_key: str | None) -> list[Any]:
        method = self._likelihood("perplexity")
        if method is None:
            return [(None, None, "ppl_unavailable")] * len(rows)
        texts = [as_text(r.get(text_key or "", "")) for r in rows]
        import anyio

        values = await anyio.to_thread.run_sync(method, texts)
        return [(float(v), None, "") for v in values]

    async def _qa(
        self,
        rows: list[Row],
        target_key: str | None,
        pred_key: str,
        question_key: str | None,
        *,
        multi: bool,
    ) -> list[Any]:
        out: list[Any] = [None] * len(rows)
        todo: list[tuple[int, list[str], str]] = []
        for i, row in enumerate(rows):
            raw = row.get(target_key or "")
            targets = (
                [
                    as_text(v)
                    for v in (raw if isinstance(raw, list) else as_choices(raw) or [])
                    if has_content(v)
                ]
                if multi
                else [as_text(raw)]
                if has_content(raw)
                else []
            )
            prediction = row.get(pred_key)
            if not targets:
                out[i] = (None, None, "empty_references" if multi else "empty_reference")
            elif not has_content(prediction):
                out[i] = (None, None, "empty_prediction")
            else:
                todo.append((i, targets, as_text(prediction)))
        if self.metric_type == "semantic_judge":
            prompts = [
                self.prompt_template.build_prompt(answer=p, reference_answer=t[0])
                for _, t, p in todo
            ]
            assert self.llm_serving is not None  # set for the semantic metric
            replies = await ask_each(self.llm_serving, prompts, system_prompt=self.system_prompt)
            for (i, _, _), reply in zip(todo, replies, strict=True):
                if reply is None or isinstance(reply, Failure):
                    out[i] = (None, None, "semantic_judge_failed")
                else:
                    out[i] = (1.0 if judge_verdict(reply) else 0.0, None, "")
            return out
        pairs = [(p, t) for _, targets, p in todo for t in targets]
        equal = iter(await math_matches(pairs))
        for i, targets, prediction in todo:
            hits = [(contains_match(prediction, t), next(equal)) for t in targets]
            out[i] = (1.0 if any(a or b for a, b in hits) else 0.0, prediction, "")
        return out

    async def _single_choice(
        self,
        rows: list[Row],
        question_key: str | None,
        choices_key: str | None,
        label_key: str | None,
        pred_key: str,
        context_key: str | None,
    ) -> list[Any]:
        scorer = self._likelihood("loglikelihood") if self.metric_type == "ll_choice_acc" else None
        out: list[Any] = []
        for row in rows:
            choices = as_choices(row.get(choices_key or ""))
            if choices is None:
                out.append((None, None, "empty_choices"))
                continue
            gold = _index(row.get(label_key or ""), len(choices))
            if scorer is not None:
                context = context_text(row.get(context_key)) if context_key else ""
                prompt = (f"{context}\n\n" if context else "") + as_text(
                    row.get(question_key or "", "")
                )
                import anyio

                scores = await anyio.to_thread.run_sync(
                    scorer, [prompt] * len(choices), [f" {c}" for c in choices]
                )
                picked: int | None = max(range(len(choices)), key=lambda k: scores[k])
            else:
                picked = choice_index(row.get(pred_key), len(choices))
            if gold is None or picked is None:
                out.append((None, None, "parse_failed"))
            else:
                out.append((1.0 if picked == gold else 0.0, picked, ""))
        return out

    def _multi_choice(
        self, rows: list[Row], choices_key: str | None, labels_key: str | None, pred_key: str
    ) -> list[Any]:
        out: list[Any] = []
        for row in rows:
            choices = as_choices(row.get(choices_key or ""))
            if choices is None:
                out.append((None, None, "empty_choices"))
                continue
            gold = choice_set(row.get(labels_key or ""), len(choices))
            picked = choice_set(row.get(pred_key), len(choices))
            if gold is None or picked is None:
                out.append((None, None, "parse_failed"))
            else:
                out.append((set_f1(picked, gold), sorted(picked), ""))
        return out

    async def _pairwise(
        self,
        rows: list[Row],
        question_key: str | None,
        better_key: str | None,
        rejected_key: str | None,
        context_key: str | None,
    ) -> list[Any]:
        scorer = self._likelihood("loglikelihood")
        out: list[Any] = []
        for row in rows:
            better, rejected = row.get(better_key or ""), row.get(rejected_key or "")
            if not has_content(better):
                out.append((None, None, "empty_better"))
            elif not has_content(rejected):
                out.append((None, None, "empty_rejected"))
            elif scorer is None:
                out.append((None, None, "ll_unavailable"))
            else:
                context = context_text(row.get(context_key)) if context_key else ""
                prompt = (f"{context}\n\n" if context else "") + as_text(
                    row.get(question_key or "", "")
                )
                import anyio

                ll = await anyio.to_thread.run_sync(
                    scorer, [prompt, prompt], [f" {as_text(better)}", f" {as_text(rejected)}"]
                )
                pred = {"ll_better": float(ll[0]), "ll_rejected": float(ll[1])}
                out.append((1.0 if ll[0] > ll[1] else 0.0, json.dumps(pred), ""))
        return out

    # -- the report --------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        mean = self.score_sum / self.valid if self.valid else 0.0
        name = {"ppl": "ppl_mean", "micro_f1": "micro_f1_mean"}.get(self.metric_type, "accuracy")
        report = {
            "type": self.eval_type,
            "metric": self.metric_type,
            "total_samples": self.total,
            "valid_samples": self.valid,
            name: mean,
        }
        write_report(self.eval_result_path, report)
        return report

    def state_dict(self) -> dict[str, Any]:
        return {"total": self.total, "valid": self.valid, "score_sum": self.score_sum}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.total = int(state.get("total", 0))
        self.valid = int(state.get("valid", 0))
        self.score_sum = float(state.get("score_sum", 0.0))
