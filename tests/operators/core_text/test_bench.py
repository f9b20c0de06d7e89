"""Benchmark answering and scoring: BenchAnswerGenerator, the bench evaluators and the unified
one, on a scripted serving; the statistics report and its file; resume of the counts."""

from __future__ import annotations

import json

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.core_text import (
    BenchAnswerGenerator,
    BenchDatasetEvaluator,
    BenchDatasetEvaluatorQuestion,
    UnifiedBenchDatasetEvaluator,
)
from streamflow.operators.core_text.bench_evaluators import parse_subjudgements
from streamflow.operators.core_text.unified_bench_evaluator import (
    choice_index,
    choice_set,
    normalize_for_match,
    set_f1,
)
from streamflow.prompts.base import FormatStrPrompt
from streamflow.testing import ScriptedServing, apply

pytest.importorskip("math_verify")


def test_answer_generator_prompts_by_type_and_skips_likelihood_types():
    serving = ScriptedServing(lambda p: "B" if "Choices" in p else "42")
    rows = [{"q": "What is 6*7?", "ctx": ["Arithmetic.", ""], "ch": ["40", "42"]}]
    out = apply(
        BenchAnswerGenerator("key2_qa", serving),
        rows,
        input_question_key="q",
        input_context_key="ctx",
    )
    assert out.batch.rows[0]["generated_ans"] == "42"
    assert serving.prompts[0] == "Context:\nArithmetic.\n\nQuestion:\nWhat is 6*7?\n\nAnswer:"
    out = apply(
        BenchAnswerGenerator("key3_q_choices_as", serving),
        rows,
        input_question_key="q",
        input_choices_key="ch",
    )
    assert "A. 40\nB. 42" in serving.prompts[1] and out.batch.rows[0]["generated_ans"] == "B"
    skipped = apply(
        BenchAnswerGenerator("key3_q_choices_a", serving),
        rows,
        input_question_key="q",
        input_choices_key="ch",
    )
    assert skipped.batch.rows == rows and len(serving.requests) == 2
    forced = BenchAnswerGenerator("key3_q_choices_a", serving, force_generate=True)
    assert (
        apply(forced, rows, input_question_key="q", input_choices_key="ch").batch.rows[0][
            "generated_ans"
        ]
        == "B"
    )
    bad = apply(
        BenchAnswerGenerator("key3_q_choices_as", serving),
        [{"q": "x", "ch": "none"}],
        input_question_key="q",
        input_choices_key="ch",
    )
    assert bad.failed[0][2] == "field 'ch' holds no list of choices"
    with pytest.raises(ValueError, match="eval_type"):
        BenchAnswerGenerator("key9")


def test_answer_generator_with_a_format_string_template():
    serving = ScriptedServing(lambda p: p)
    op = BenchAnswerGenerator("key2_qa", serving, FormatStrPrompt("Q: {question} ({context})"))
    out = apply(op, [{"q": "why", "c": "sky"}], input_question_key="q", input_context_key="c")
    assert out.batch.rows[0]["generated_ans"] == "Q: why (sky)"


def test_match_checks_mathematical_equivalence_and_reports(tmp_path):
    rows = [
        {"generated_cot": "So the answer is \\boxed{\\frac{1}{2}}", "golden_answer": "0.5"},
        {"generated_cot": "The total is 12.", "golden_answer": "12"},
        {"generated_cot": "I think 7", "golden_answer": "8"},
    ]
    path = tmp_path / "stats" / "bench.json"
    op = BenchDatasetEvaluator(eval_result_path=str(path))
    out = apply(op, rows)
    assert [r["answer_match_result"] for r in out.batch.rows] == [True, True, False]
    report = op.report()
    assert report["accuracy"] == pytest.approx(2 / 3) and report["matched_samples"] == 2
    assert json.loads(path.read_text())[0]["total_samples"] == 3


def test_semantic_judge_counts_unreadable_replies_as_empty():
    replies = {"Paris": '{"judgement_result": true}', "Lyon": '{"judgement_result": false}'}
    serving = ScriptedServing(
        lambda p: replies.get(p.split("Current answer: ")[1].split("\n")[0], "no idea")
    )
    op = BenchDatasetEvaluator(compare_method="semantic", llm_serving=serving)
    rows = [{"a": a, "g": "Paris"} for a in ("Paris", "Lyon", "Nice")] + [{"a": "x", "g": ""}]
    out = apply(op, rows, input_test_answer_key="a", input_gt_answer_key="g")
    assert [r["answer_match_result"] for r in out.batch.rows] == [True, False, False, False]
    assert len(serving.requests) == 3  # no reference, no request
    report = op.report()
    assert report["empty_responses_count"] == 1 and report["valid_samples"] == 3
    assert report["accuracy"] == pytest.approx(1 / 3)


def test_question_variant_with_subquestions():
    serving = ScriptedServing(lambda p: 'Verdict: {"judgement": [true, "empty", true]}')
    op = BenchDatasetEvaluatorQuestion(
        compare_method="semantic", llm_serving=serving, support_subquestions=True
    )
    out = apply(
        op,
        [{"q": "a) b) c)", "a": "1 2 3", "g": "1 - 3"}],
        input_test_answer_key="a",
        input_gt_answer_key="g",
        input_question_key="q",
    )
    row = out.batch.rows[0]
    assert (row["correct_answer_num"], row["total_subquestions"]) == (2, 2)
    assert row["answer_match_result"] is True and "a) b) c)" in serving.prompts[0]
    assert parse_subjudgements('{"judgement": [false, true]}') == (1, 2)
    assert parse_subjudgements("nothing") is None


def test_counts_survive_a_resume(chain, tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"generated_cot": str(i), "golden_answer": str(i % 2)} for i in range(6)],
    )
    op = BenchDatasetEvaluator()
    result = chain(
        [(op, {})], entry_file=src, output_file=tmp_path / "o.jsonl", run_dir=tmp_path / "run"
    ).run(batch_size=2)
    assert result.reports["BenchDatasetEvaluator"]["matched_samples"] == 2
    rows = read_jsonl(tmp_path / "o.jsonl")
    assert [r["answer_match_result"] for r in rows] == [True, True, False, False, False, False]
    state = op.state_dict()
    fresh = BenchDatasetEvaluator()
    fresh.load_state_dict(json.loads(json.dumps(state)))
    assert fresh.report() == op.report()


def test_unified_qa_multi_and_choices():
    qa = UnifiedBenchDatasetEvaluator(eval_type="key2_qa")
    out = apply(
        qa,
        [
            {"q": "capital?", "t": "Paris", "generated_ans": "It is paris."},
            {"q": "half?", "t": "1/2", "generated_ans": "\\boxed{0.5}"},
            {"q": "x", "t": "3", "generated_ans": "4"},
            {"q": "y", "t": "", "generated_ans": "4"},
        ],
        input_question_key="q",
        input_target_key="t",
    )
    rows = out.batch.rows
    assert [r["eval_score"] for r in rows] == [1.0, 1.0, 0.0, None]
    assert rows[3]["eval_error"] == "empty_reference" and rows[3]["eval_valid"] is False
    assert qa.report()["accuracy"] == pytest.approx(2 / 3)

    multi = UnifiedBenchDatasetEvaluator(eval_type="key2_q_ma")
    out = apply(
        multi,
        [{"ts": ["NYC", "New York"], "generated_ans": "new york city"}],
        input_targets_key="ts",
    )
    assert out.batch.rows[0]["eval_score"] == 1.0

    single = UnifiedBenchDatasetEvaluator(eval_type="key3_q_choices_a")
    out = apply(
        single,
        [
            {"ch": ["red", "blue"], "l": "B", "generated_ans": "B"},
            {"ch": '["red", "blue"]', "l": 0, "generated_ans": "The answer is B"},
            {"ch": ["red", "blue"], "l": 1, "generated_ans": "no idea"},
        ],
        input_choices_key="ch",
        input_label_key="l",
    )
    assert [r["eval_score"] for r in out.batch.rows] == [1.0, 0.0, None]
    assert out.batch.rows[2]["eval_error"] == "parse_failed"

    many = UnifiedBenchDatasetEvaluator(eval_type="key3_q_choices_as")
    out = apply(
        many,
        [{"ch": ["a", "b", "c"], "ls": ["A", "C"], "generated_ans": "A, B"}],
        input_choices_key="ch",
        input_labels_key="ls",
    )
    assert out.batch.rows[0]["eval_score"] == pytest.approx(0.5)
    assert many.report()["micro_f1_mean"] == pytest.approx(0.5)


class LikelihoodServing(ScriptedServing):
    """A serving with DataFlow's probed scoring methods (the longer continuation wins)."""

    def loglikelihood(self, prompts, continuations):
        return [float(len(c)) for c in continuations]

    def perplexity(self, texts):
        return [float(len(t)) for t in texts]


def test_unified_likelihood_types_use_a_scoring_serving_or_say_unavailable():
    rows = [{"q": "pick", "b": "a long good answer", "r": "bad"}]
    plain = UnifiedBenchDatasetEvaluator(
        eval_type="key3_q_a_rejected", llm_serving=ScriptedServing()
    )
    out = apply(
        plain,
        [dict(r) for r in rows],
        input_question_key="q",
        input_better_key="b",
        input_rejected_key="r",
    )
    assert out.batch.rows[0]["eval_error"] == "ll_unavailable"
    scored = UnifiedBenchDatasetEvaluator(
        eval_type="key3_q_a_rejected", llm_serving=LikelihoodServing()
    )
    out = apply(
        scored,
        [dict(r) for r in rows],
        input_question_key="q",
        input_better_key="b",
        input_rejected_key="r",
    )
    assert out.batch.rows[0]["eval_score"] == 1.0
    ppl = UnifiedBenchDatasetEvaluator(eval_type="key1_text_score", llm_serving=LikelihoodServing())
    out = apply(ppl, [{"t": "abcd"}], input_text_key="t")
    assert out.batch.rows[0]["eval_score"] == 4.0 and ppl.report()["ppl_mean"] == 4.0
    pick = UnifiedBenchDatasetEvaluator(
        eval_type="key3_q_choices_a", llm_serving=LikelihoodServing()
    )
    out = apply(
        pick,
        [{"q": "?", "ch": ["x", "yyy"], "l": "B"}],
        input_question_key="q",
        input_choices_key="ch",
        input_label_key="l",
    )
    assert out.batch.rows[0]["eval_score"] == 1.0 and out.batch.rows[0]["eval_pred"] == 1


def test_unified_helpers():
    assert normalize_for_match("  H₂O  is  Water. ") == "h2o is water"
    assert (
        choice_index("(C) because", 4) == 2 and choice_index("2", 4) == 2
    )  # 0-based first, as DataFlow
    assert choice_set("[1, 3]", 3) == {
        1,
        2,
    }  # 0-based where it fits, else 1-based and choice_set("B and D", 3) == {1}
    assert set_f1({0, 1}, {0}) == pytest.approx(2 / 3)
