"""BenchDatasetEvaluator and BenchDatasetEvaluatorQuestion: score a model's benchmark answers.

``compare_method="match"`` extracts each answer's final answer and checks it against the
reference for mathematical equivalence; ``"semantic"`` asks an LLM judge (the question shown to
it in the ``Question`` variant, which may also judge multi-part questions part by part). Each row
gets ``answer_match_result`` (True/False); the report gives the accuracy. See
:mod:`streamflow.operators.core_text._bench` for what they share.

Differences from DataFlow: the statistics file is written only when ``eval_result_path`` is
given (DataFlow invents ``result_bencheval/..._<time>.json`` in the working directory); the
report is also in the run summary. A judge request that fails counts as an empty response (it
is not lost silently), and a row without a reference answer is not sent to the judge
(``answer_match_result`` False, as DataFlow leaves it).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from streamflow.actors.base import DatasetEvaluator
from streamflow.operators.core_text._bench import (
    BenchStats,
    judge_verdict,
    math_matches,
    write_report,
)
from streamflow.operators.core_text.bench_prompts import (
    AnswerJudgeMultipleQuestionsPrompt,
    AnswerJudgePrompt,
    AnswerJudgePromptQuestion,
)
from streamflow.operators.llm import ask_each, default_serving, has_content
from streamflow.prompts.base import DIYPromptABC, as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["BenchDatasetEvaluator", "BenchDatasetEvaluatorQuestion", "parse_subjudgements"]

MATCH_KEY = "answer_match_result"
JUDGE_SYSTEM = "You are a helpful assistant specialized in evaluating answer correctness."


def parse_subjudgements(reply: str) -> tuple[int, int] | None:
    """(correct parts, judged parts) from ``{"judgement": [...]}``; "empty" parts not counted."""
    start, end = reply.find("{"), reply.rfind("}")
    try:
        data = json.loads(reply[start : end + 1]) if start >= 0 else None
    except ValueError:
        return None
    parts = data.get("judgement") if isinstance(data, dict) else None
    if not isinstance(parts, list):
        return None
    correct = total = 0
    for part in parts:
        value = part if isinstance(part, bool) else str(part).strip().lower()
        if value in (True, "true"):
            correct, total = correct + 1, total + 1
        elif value in (False, "false"):
            total += 1
    return correct, total


class _BenchEvaluator(DatasetEvaluator):
    compare_method: str
    eval_result_path: str | None
    system_prompt: str
    prompt_template: Any
    llm_serving: LLMServing
    support_subquestions: bool = False

    def _setup(
        self,
        eval_result_path: str | None,
        compare_method: str,
        system_prompt: str,
        llm_serving: LLMServing | None,
        prompt_template: Any,
    ) -> None:
        if compare_method not in ("match", "semantic"):
            raise ValueError(f"{self.name}: compare_method must be 'match' or 'semantic'")
        self.check_prompt_template(prompt_template)
        self.eval_result_path = eval_result_path
        self.compare_method = compare_method
        self.system_prompt = system_prompt
        self.prompt_template = prompt_template
        self.stats = BenchStats()
        if compare_method == "semantic":  # the judge; "match" needs no model
            self.llm_serving = llm_serving if llm_serving is not None else default_serving()

    async def _judge(
        self, rows: list[Row], answer_key: str, reference_key: str, question_key: str | None
    ) -> None:
        prompts: list[str | None] = []
        for row in rows:
            if not has_content(row.get(reference_key)):
                prompts.append(None)
                continue
            fields = {
                "answer": as_text(row.get(answer_key, "")),
                "reference_answer": as_text(row[reference_key]),
            }
            if question_key is not None:
                fields["question"] = as_text(row.get(question_key, ""))
            prompts.append(self.prompt_template.build_prompt(**fields))
        replies = await ask_each(self.llm_serving, prompts, system_prompt=self.system_prompt)
        for row, prompt, reply in zip(rows, prompts, replies, strict=True):
            if prompt is None:
                row[MATCH_KEY] = False
                self.stats.add(False)
                continue
            text = "" if reply is None or isinstance(reply, Failure) else reply
            if self.support_subquestions:
                parts = parse_subjudgements(text)
                correct, total = parts if parts is not None else (0, 0)
                row["correct_answer_num"], row["total_subquestions"] = correct, total
                row["response_evaluation"] = text
                matched = total > 0 and correct == total
                self.stats.add(matched, empty=parts is None)
            else:
                verdict = judge_verdict(text)
                matched = verdict is True
                self.stats.add(matched, empty=verdict is None)
            row[MATCH_KEY] = matched

    async def _evaluate(
        self, rows: list[Row], answer_key: str, reference_key: str, question_key: str | None
    ) -> None:
        missing = [
            k
            for k in (answer_key, reference_key, question_key)
            if k and rows and any(k not in row for row in rows)
        ]
        if missing:
            raise KeyError(f"{self.name}: a row has no field {missing[0]!r}")
        if self.compare_method == "semantic":
            await self._judge(rows, answer_key, reference_key, question_key)
            return
        matches = await math_matches([(row[answer_key], row[reference_key]) for row in rows])
        for row, matched in zip(rows, matches, strict=True):
            row[MATCH_KEY] = matched
            self.stats.add(matched)

    def report(self) -> dict[str, Any]:
        report = self.stats.report(self.compare_method)
        write_report(self.eval_result_path, report)
        return report

    def state_dict(self) -> dict[str, Any]:
        return {"stats": self.stats.state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.stats.load(state.get("stats", {}))


class BenchDatasetEvaluator(_BenchEvaluator):
    """Scores ``input_test_answer_key`` against ``input_gt_answer_key`` (see the module)."""

    ALLOWED_PROMPTS = (AnswerJudgePrompt,)

    def __init__(
        self,
        eval_result_path: str | None = None,
        compare_method: Literal["match", "semantic"] = "match",
        system_prompt: str = JUDGE_SYSTEM,
        llm_serving: LLMServing | None = None,
        prompt_template: AnswerJudgePrompt | DIYPromptABC | None = None,
    ) -> None:
        self._setup(
            eval_result_path,
            compare_method,
            system_prompt,
            llm_serving,
            prompt_template if prompt_template is not None else AnswerJudgePrompt(),
        )

    async def observe(
        self,
        rows: list[Row],
        input_test_answer_key: str = "generated_cot",
        input_gt_answer_key: str = "golden_answer",
    ) -> None:
        await self._evaluate(rows, input_test_answer_key, input_gt_answer_key, None)


class BenchDatasetEvaluatorQuestion(_BenchEvaluator):
    """As :class:`BenchDatasetEvaluator`, with the question shown to the judge;
    ``support_subquestions=True`` judges each part of a multi-part question and writes
    ``correct_answer_num``, ``total_subquestions`` and ``response_evaluation`` too (a row
    matches when every judged part is correct)."""

    ALLOWED_PROMPTS = (AnswerJudgePromptQuestion, AnswerJudgeMultipleQuestionsPrompt)

    def __init__(
        self,
        eval_result_path: str | None = None,
        compare_method: Literal["match", "semantic"] = "match",
        system_prompt: str = JUDGE_SYSTEM,
        llm_serving: LLMServing | None = None,
        prompt_template: AnswerJudgePromptQuestion
        | AnswerJudgeMultipleQuestionsPrompt
        | DIYPromptABC
        | None = None,
        support_subquestions: bool = False,
    ) -> None:
        self.support_subquestions = support_subquestions
        default = (
            AnswerJudgeMultipleQuestionsPrompt()
            if support_subquestions
            else AnswerJudgePromptQuestion()
        )
        self._setup(
            eval_result_path,
            compare_method,
            system_prompt,
            llm_serving,
            prompt_template if prompt_template is not None else default,
        )

    async def observe(
        self,
        rows: list[Row],
        input_test_answer_key: str = "generated_cot",
        input_gt_answer_key: str = "golden_answer",
        input_question_key: str | None = None,
    ) -> None:
        question = input_question_key if self.compare_method == "semantic" else None
        if question is None and self.compare_method == "semantic":
            raise ValueError(f"{self.name}: the semantic judge needs input_question_key")
        await self._evaluate(rows, input_test_answer_key, input_gt_answer_key, question)
