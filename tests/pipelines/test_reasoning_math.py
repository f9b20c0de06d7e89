"""reasoning_math end to end on the real embedded engine (SmolLM2 through vLLM) and 20 GSM8K rows.

A 135M model's judgements and solutions are mostly wrong, so nothing here checks the truth:
every stage's output is checked for shape, and every filter's decision is recomputed from the
very rows it saw (recorded by wrapping its hook) and must agree.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.llm import LLMOperator
from streamflow.operators.reasoning.answer_filters import (
    ReasoningAnswerNgramFilter,
    ReasoningAnswerTokenLengthFilter,
    repetition_score,
)
from streamflow.operators.reasoning.answers import extract_answer, has_boxed
from streamflow.operators.reasoning.categories import MATH_CATEGORIES
from streamflow.operators.reasoning.ground_truth_filter import (
    ReasoningAnswerGroundTruthFilter,
    reference_answer,
)
from streamflow.operators.reasoning.question_evaluators import RATINGS
from streamflow.operators.reasoning.verify import AnswerVerifier
from streamflow.pipelines.reasoning_math import ReasoningMathPipeline
from streamflow.rows import Failure
from streamflow.serving.base import Completion, LLMServing, Message, SamplingParams
from streamflow.testing import apply

ROWS = 20
MAX_ANSWER_TOKENS = 200


class WithParams(LLMServing):
    """The session's engine with other sampling parameters (one engine per test session)."""

    def __init__(self, inner: LLMServing, params: SamplingParams) -> None:
        super().__init__(max_in_flight=inner.max_in_flight, params=params)
        self.inner = inner
        self.model = inner.model

    def text_tokenizer(self) -> Any:
        return self.inner.text_tokenizer()  # type: ignore[attr-defined]

    async def _complete(
        self, messages: list[Message], json_schema: dict[str, Any] | None, params: SamplingParams
    ) -> Completion:
        return await self.inner._complete(messages, json_schema, params)


def record(op: Any) -> list[tuple[dict[str, Any], Any]]:
    """Wrap ``op``'s hook so that every row it sees is kept with its decision."""
    seen: list[tuple[dict[str, Any], Any]] = []
    hook = op.process
    if inspect.iscoroutinefunction(hook):

        async def wrapped(rows, **keys):  # type: ignore[no-untyped-def]
            before = [dict(r) for r in rows]
            decisions = await hook(rows, **keys)
            seen.extend(zip(before, decisions, strict=True))
            return decisions
    else:

        def wrapped(rows, **keys):  # type: ignore[no-untyped-def]
            before = [dict(r) for r in rows]
            decisions = hook(rows, **keys)
            seen.extend(zip(before, decisions, strict=True))
            return decisions

    op.process = wrapped
    return seen


def kept(decision: Any) -> bool | None:
    if isinstance(decision, Failure):
        return None
    return decision[0] if isinstance(decision, tuple) else bool(decision)


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_reasoning_math_on_gsm8k_with_the_real_engine(
    tmp_path: Path, shared_data: Path, vllm_serving
) -> None:
    source = [json.loads(line) for line in (shared_data / "gsm8k" / "test.jsonl").open()][:ROWS]
    src = write_jsonl(
        tmp_path / "gsm8k20.jsonl",
        [{"instruction": r["question"], "golden_answer": r["answer"]} for r in source],
    )
    serving = WithParams(vllm_serving, SamplingParams(temperature=0.0, max_tokens=256))
    pipeline = ReasoningMathPipeline(
        serving, num_prompts=2, max_answer_token_length=MAX_ANSWER_TOKENS
    )
    seen = {
        name: record(getattr(pipeline, name))
        for name in (
            "question_filter_step1",
            "question_filter_step3",
            "answer_format_filter_step8",
            "answer_token_length_filter_step9",
            "answer_groundtruth_filter_step10",
            "answer_ngram_filter_step11",
        )
    }
    # a 135M model often talks past 256 tokens: its cut-off answers are kept (and counted), so
    # that rows reach every step instead of ending as dead letters
    llm_steps = [op for op in vars(pipeline).values() if isinstance(op, LLMOperator)]
    assert len(llm_steps) == 6
    for op in llm_steps:
        op.accept_truncated_answers()
    out = tmp_path / "out.jsonl"
    result = await pipeline.arun(input=src, output=out, run_dir=tmp_path / "run", batch_size=8)
    rows = read_jsonl(out)
    steps = {s.name: s for s in result.stats.operators}
    print("\nrows in/out/dropped/failed per step:")
    for s in result.stats.operators:
        print(f"  {s.name}: {s.rows_in} / {s.rows_out} / {s.dropped} / {s.failed}")

    # -- the question judges: every decision is a verdict read from a reply, or a dead letter
    for name in ("question_filter_step1", "question_filter_step3"):
        for _row, decision in seen[name]:
            if isinstance(decision, Failure):
                assert decision.reason.startswith('no "judgement_test" verdict'), decision
            elif kept(decision) is False:
                assert decision[1].startswith(("judged ill-posed", "empty question"))
    assert len(seen["question_filter_step1"]) == ROWS

    # -- the generator: each seed that passed comes back flagged, with at most 2 new questions
    passed = steps["ReasoningQuestionFilter"].rows_out
    generated = steps["ReasoningQuestionGenerator"].rows_out
    assert passed <= generated <= 3 * passed
    flags = [r["Synth_or_Input"] for r, _ in seen["question_filter_step3"]]
    assert flags.count("input") == passed and set(flags) <= {"input", "synth"}
    synth = [r for r, _ in seen["question_filter_step3"] if r["Synth_or_Input"] == "synth"]
    assert all(set(r) == {"instruction", "Synth_or_Input"} and r["instruction"] for r in synth)

    # -- evaluators and the answer: shapes of what reached the answer filters
    answered = [r for r, _ in seen["answer_format_filter_step8"]]
    assert len(answered) == steps["ReasoningAnswerGenerator"].rows_out
    for row in answered:
        assert row["question_difficulty"] in RATINGS
        assert row["primary_category"] in MATH_CATEGORIES
        secondary = row["secondary_category"]
        assert secondary == "" or secondary in MATH_CATEGORIES[row["primary_category"]]
        assert isinstance(row["generated_cot"], str)

    # -- rule filters: recompute every decision from the row the filter saw. A 135M model
    # rarely boxes its answer, so the formatter may leave the later filters nothing: they are
    # also applied to every real answer directly, so each rule meets real model output.
    for row, decision in seen["answer_format_filter_step8"]:
        assert kept(decision) is has_boxed(row["generated_cot"])
    in_pipeline = list(seen["answer_ngram_filter_step11"])
    every_answer = [dict(r) for r in answered]
    direct = {
        "answer_token_length_filter_step9": apply(
            ReasoningAnswerTokenLengthFilter(MAX_ANSWER_TOKENS, llm_serving=serving),
            every_answer,
            input_key="generated_cot",
        ),
        "answer_groundtruth_filter_step10": apply(
            ReasoningAnswerGroundTruthFilter(), every_answer, input_test_answer_key="generated_cot"
        ),
        "answer_ngram_filter_step11": apply(
            ReasoningAnswerNgramFilter(), every_answer, input_question_key="instruction"
        ),
    }
    for name, outcome in direct.items():
        ids = [f"row:{i}" for i in range(len(every_answer))]
        decisions: dict[str, Any] = {i: True for i in outcome.batch.ids}
        decisions |= {d.id: (False, d.reason) for d in outcome.dropped}
        decisions |= {i: Failure(why) for i, _, why in outcome.failed}
        seen[name] += [(row, decisions[i]) for row, i in zip(every_answer, ids, strict=True)]
    tokenizer = serving.text_tokenizer()
    for row, decision in seen["answer_token_length_filter_step9"]:
        assert kept(decision) is (0 < tokenizer.count(row["generated_cot"]) <= MAX_ANSWER_TOKENS)
    with AnswerVerifier(timeout=10) as verifier:
        checked = seen["answer_groundtruth_filter_step10"]
        verdicts = verifier.check_many(
            [
                (reference_answer(r.get("golden_answer")), extract_answer(r["generated_cot"]))
                for r, _ in checked
            ]
        )
    for (row, decision), verdict in zip(checked, verdicts, strict=True):
        if row.get("golden_answer") is None:
            assert kept(decision) is False and decision[1] == "no reference answer"
        elif verdict.equal is None:
            assert isinstance(decision, Failure)
        else:
            assert kept(decision) is verdict.equal, (row["generated_cot"][-200:], decision)
    for row, decision in seen["answer_ngram_filter_step11"]:
        score = repetition_score(f"{row['instruction']} {row['generated_cot']}", 5)
        assert kept(decision) is (0.1 <= score <= 1.0)
    print("decisions on real answers (kept / all):")
    for name, pairs in seen.items():
        print(f"  {name}: {sum(kept(d) is True for _, d in pairs)} / {len(pairs)}")
    assert len(seen["answer_groundtruth_filter_step10"]) >= len(answered)

    # -- the output is exactly what the last filter kept, in order, and the reports add up
    final = [r for r, d in in_pipeline if kept(d)]
    assert [r["instruction"] for r in rows] == [r["instruction"] for r in final]
    reports = result.reports
    evaluated = steps["ReasoningQuestionDifficultySampleEvaluator"].rows_out
    assert sum(reports["ReasoningDifficultyDatasetEvaluator"].values()) == evaluated
    categories = reports["ReasoningCategoryDatasetEvaluator"]
    assert sum(v["primary_num"] for k, v in categories.items() if k != "unclassified") <= evaluated
    assert result.stats.failed == result.dead_letters.count
    llm = [s for s in result.stats.operators if s.requests]
    assert all(s.completion_tokens > 0 for s in llm)
