"""Dataset-level reports: difficulty, category and token-length distributions."""

from __future__ import annotations

from pathlib import Path

from helpers import write_jsonl

from streamflow.operators.reasoning.dataset_evaluators import (
    ReasoningCategoryDatasetEvaluator,
    ReasoningDifficultyDatasetEvaluator,
    ReasoningTokenDatasetEvaluator,
)
from streamflow.serving.tokens import load_tokenizer


def test_difficulty_counts() -> None:
    op = ReasoningDifficultyDatasetEvaluator()
    op.observe([{"difficulty_score": 2.0}, {"difficulty_score": 4.5}, {"difficulty_score": 2}])
    op.observe([{}, {"difficulty_score": 2.0}])
    assert op.report() == {"2": 3, "4.5": 1, "null": 1}


def test_category_counts_in_taxonomy_order() -> None:
    op = ReasoningCategoryDatasetEvaluator()
    word, basic = (
        "Word Problems and Real-Life Applications",
        "Basic Arithmetic and Number Operations",
    )
    op.observe(
        [
            {"primary_category": "Arithmetic", "secondary_category": word},
            {"primary_category": "Arithmetic", "secondary_category": word},
            {"primary_category": "Arithmetic", "secondary_category": ""},
            {
                "primary_category": "Algebra and Number Theory",
                "secondary_category": "Number Theory",
            },
            {"primary_category": "Cooking", "secondary_category": "Baking"},
            {},
        ]
    )
    assert op.report() == {
        "Algebra and Number Theory": {"primary_num": 1, "Number Theory": 1},
        "Arithmetic": {"primary_num": 3, word: 2},
        "unclassified": 2,
    }
    assert basic not in op.report()["Arithmetic"]
    assert list(op.report())[:2] == ["Algebra and Number Theory", "Arithmetic"]


def test_token_lengths_with_the_models_tokenizer(smollm2_dir: Path) -> None:
    tokenizer = load_tokenizer(smollm2_dir)
    op = ReasoningTokenDatasetEvaluator(str(smollm2_dir))
    questions = ["What is two plus two?", "", "Find all primes p such that p^2 + 2 is prime."]
    answers = ["4", "nothing here", None]
    op.observe(
        [{"q": q, "a": a} for q, a in zip(questions, answers, strict=True)],
        input_question_key="q",
        input_answer_key="a",
    )
    q_lengths = sorted(tokenizer.count(q) for q in questions)
    a_lengths = sorted(tokenizer.count(a or "") for a in answers)
    report = op.report()
    assert report["questions_zeros_count"] == 1 and report["answers_zeros_count"] == 1
    assert report["questions_min"] == 0 and report["questions_max"] == q_lengths[-1]
    assert report["questions_median"] == q_lengths[1]
    assert report["answers_mean"] == sum(a_lengths) / 3
    assert q_lengths[-1] > 5  # real tokens, not characters / 4
    assert q_lengths[-1] < len(questions[2])


def test_token_report_survives_a_checkpoint_round_trip(smollm2_dir: Path) -> None:
    op = ReasoningTokenDatasetEvaluator(str(smollm2_dir))
    op.observe([{"q": "one two three", "a": "four"}], input_question_key="q", input_answer_key="a")
    state = op.state_dict()
    again = ReasoningTokenDatasetEvaluator(str(smollm2_dir))
    again.load_state_dict({k: dict(v) for k, v in state.items()})
    again.observe([{"q": "five", "a": "six seven"}], input_question_key="q", input_answer_key="a")
    op.observe([{"q": "five", "a": "six seven"}], input_question_key="q", input_answer_key="a")
    assert again.report() == op.report()


def test_reports_of_a_resumable_run_cover_every_pass(chain, tmp_path, smollm2_dir: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [{"q": f"question {i}", "a": "x", "difficulty_score": 1 + i % 2} for i in range(6)]
    write_jsonl(src, rows[:4])

    def pipeline():
        steps = [
            (ReasoningDifficultyDatasetEvaluator(), {}),
            (
                ReasoningTokenDatasetEvaluator(str(smollm2_dir)),
                {"input_question_key": "q", "input_answer_key": "a"},
            ),
        ]
        return chain(
            steps, entry_file=src, output_file=tmp_path / "o.jsonl", run_dir=tmp_path / "run"
        )

    first = pipeline().run()
    assert first.reports["ReasoningDifficultyDatasetEvaluator"] == {"1": 2, "2": 2}
    write_jsonl(src, rows)  # two more rows: an incremental run
    second = pipeline().run()
    assert second.reports["ReasoningDifficultyDatasetEvaluator"] == {"1": 3, "2": 3}
    assert second.reports["ReasoningTokenDatasetEvaluator"]["answers_min"] > 0
