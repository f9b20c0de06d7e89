"""ReasoningPretrainFormatConvertGenerator: SFT pairs to pretraining text."""

from __future__ import annotations

import pytest
from helpers import write_jsonl

from streamflow import CompileError
from streamflow.operators.reasoning.answer_filters import ReasoningAnswerNgramFilter
from streamflow.operators.reasoning.pretrain_format import ReasoningPretrainFormatConvertGenerator
from streamflow.testing import apply


def test_rows_become_text_only() -> None:
    rows = [{"q": "What is 1+1?", "a": "2", "id": 7}, {"q": "No answer"}, {"a": 5}]
    out = apply(
        ReasoningPretrainFormatConvertGenerator(),
        rows,
        input_read_key_question="q",
        input_read_key_answer="a",
        output_key="text",
    )
    assert out.batch.rows == [{"text": "What is 1+1?\n2"}, {"text": "No answer\n"}, {"text": "\n5"}]


def test_a_later_step_cannot_read_the_dropped_fields(chain, tmp_path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"question": "q", "answer": "a"}])
    steps = [
        (ReasoningPretrainFormatConvertGenerator(), {}),
        (
            ReasoningAnswerNgramFilter(),
            {"input_question_key": "question", "input_answer_key": "text"},
        ),
    ]
    with pytest.raises(CompileError, match="'question' is not produced"):
        chain(steps, entry_file=src, output_file=tmp_path / "o.jsonl").compile()
