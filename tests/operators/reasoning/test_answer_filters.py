"""Rule-based answer filters: boxed answer, token budget, n-gram repetition, pipeline root."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamflow.operators.reasoning.answer_filters import (
    ReasoningAnswerFormatterFilter,
    ReasoningAnswerNgramFilter,
    ReasoningAnswerPipelineRootFilter,
    ReasoningAnswerTokenLengthFilter,
    repetition_score,
)
from streamflow.serving.tokens import TokenizerLoadError, load_tokenizer
from streamflow.serving.vllm_backend import VLLMServing
from streamflow.testing import ScriptedServing, apply


def test_formatter_keeps_boxed_answers() -> None:
    rows = [
        {"generated_cot": "→ so \\boxed{4}"},
        {"generated_cot": "→ so \\boxed{ }"},
        {"generated_cot": "the answer is 4"},
        {"generated_cot": None},
        {},
    ]
    assert apply(ReasoningAnswerFormatterFilter(), rows).batch.rows == rows  # DataFlow's: all
    out = apply(ReasoningAnswerFormatterFilter(require_boxed=True), rows)
    assert out.batch.rows == [rows[0]]
    assert [d.reason for d in out.dropped] == [
        "empty \\boxed{}",
        "no \\boxed{} answer",
        "no \\boxed{} answer",
        "no \\boxed{} answer",
    ]


def test_token_length_counts_real_tokens(smollm2_dir: Path) -> None:
    tokenizer = load_tokenizer(smollm2_dir)
    texts = ["short answer \\boxed{1}", "word " * 40, "", None]
    limit = tokenizer.count(texts[0])
    op = ReasoningAnswerTokenLengthFilter(
        max_answer_token_length=limit, tokenizer_dir=str(smollm2_dir)
    )
    out = apply(op, [{"a": t} for t in texts], input_key="a")
    assert [r["a"] for r in out.batch.rows] == [texts[0]]
    reasons = [d.reason for d in out.dropped]
    assert reasons[0] == f"{tokenizer.count(texts[1])} tokens > {limit}"
    assert reasons[1:] == ["empty answer in 'a'", "empty answer in 'a'"]


def test_token_length_uses_the_servings_own_tokenizer(smollm2_dir: Path) -> None:
    serving = VLLMServing(smollm2_dir)  # never started: only its tokenizer is read
    op = ReasoningAnswerTokenLengthFilter(max_answer_token_length=3, llm_serving=serving)
    out = apply(op, [{"generated_cot": "one"}, {"generated_cot": "one two three four five"}])
    assert len(out.batch.rows) == 1
    assert op.tokenizer().name == str(smollm2_dir.resolve())
    assert not serving.started
    with pytest.raises(TokenizerLoadError, match="does not expose its tokenizer"):
        ReasoningAnswerTokenLengthFilter(llm_serving=ScriptedServing()).tokenizer()


def test_token_length_names_a_missing_tokenizer(tmp_path: Path) -> None:
    op = ReasoningAnswerTokenLengthFilter(
        tokenizer_dir=str(tmp_path / "nowhere" / "tokenizer.json")
    )
    with pytest.raises(TokenizerLoadError, match="nowhere"):
        op.tokenizer()


@pytest.mark.parametrize(
    ("text", "n", "score"),
    [
        ("a b c d e f", 5, 1.0),
        ("go go go go go go go", 5, 1 / 3),
        ("too short", 5, 0.0),
        ("一二三四五一二三四五", 5, 5 / 6),
    ],
)
def test_repetition_score(text, n, score) -> None:
    assert repetition_score(text, n) == pytest.approx(score)


def test_ngram_filter_scores_question_and_answer_together() -> None:
    op = ReasoningAnswerNgramFilter(min_score=0.5, max_score=1.0, ngrams=2)
    rows = [
        {"instruction": "What is two plus two", "generated_cot": "It is four"},
        {"instruction": "Loop", "generated_cot": "and again " * 20},
        {"instruction": "Hi", "generated_cot": None},
    ]
    out = apply(op, rows)
    assert out.batch.rows == [rows[0]]
    assert out.dropped[0].reason.startswith("repetition score 0.075 outside [0.5, 1.0]")
    assert out.dropped[1].reason == "repetition score 0.000 outside [0.5, 1.0]"


def test_ngram_filter_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="min_score"):
        ReasoningAnswerNgramFilter(min_score=0.8, max_score=0.2)
    with pytest.raises(ValueError, match="ngrams"):
        ReasoningAnswerNgramFilter(ngrams=0)


def test_pipeline_root_fills_missing_references_and_picks_a_branch() -> None:
    rows = [
        {"output": "so \\boxed{7}", "golden_answer": ""},
        {"output": "no answer here", "golden_answer": "3"},
        {"output": "", "golden_answer": None},
        {"output": "The answer is 12."},
    ]

    def run(branch: str) -> tuple[list, list]:
        out = apply(ReasoningAnswerPipelineRootFilter(branch), [dict(r) for r in rows])
        return out.batch.rows, out.dropped

    kept, _ = run("all")
    assert [r["golden_answer"] for r in kept] == ["7", "3", None, "12"]
    kept, dropped = run("with_gt")
    assert [r["golden_answer"] for r in kept] == ["7", "3", "12"]
    assert [d.reason for d in dropped] == ["no reference answer (the pseudo-answer branch)"]
    kept, _ = run("without_gt")
    assert kept == [{"output": "", "golden_answer": None}]
    with pytest.raises(ValueError, match="branch"):
        ReasoningAnswerPipelineRootFilter("both")  # type: ignore[arg-type]
