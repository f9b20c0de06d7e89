"""ReasoningPretrainFormatConvertGenerator: question-answer pairs as pretraining text."""

from __future__ import annotations

from streamflow.actors.base import Generator
from streamflow.prompts.base import as_text
from streamflow.rows import Row

__all__ = ["ReasoningPretrainFormatConvertGenerator"]


class ReasoningPretrainFormatConvertGenerator(Generator):
    """Turns each SFT row into a pretraining row: ``{output_key: question + "\\n" + answer}``.

    As in DataFlow, the row that leaves holds only ``output_key``: every other field,
    question and answer included, is dropped (``compile()`` rejects a later step that reads
    the question or the answer). A missing question or answer counts as empty.
    """

    removes_fields = True

    def process(
        self,
        rows: list[Row],
        input_read_key_question: str = "question",
        input_read_key_answer: str = "answer",
        output_key: str = "text",
    ) -> list[Row]:
        out = []
        for row in rows:
            question = _text(row.get(input_read_key_question))
            answer = _text(row.get(input_read_key_answer))
            out.append({output_key: f"{question}\n{answer}"})
        return out


def _text(value: object) -> str:
    return "" if value is None else as_text(value)
