"""QAExtractor: QA pairs -> Alpaca-format rows (instruction, input, output) for fine-tuning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamflow.actors.base import RowGenerator
from streamflow.rows import Failure, Row

__all__ = ["QAExtractor"]

_PATH_KEYS = ("enhanced_chunk_path", "cleaned_chunk_path", "chunk_path")


class QAExtractor(RowGenerator):
    """One row per QA pair of ``input_qa_key`` (a list of ``{question, answer, ...}``, or
    ``{"qa_pairs": [...]}``): ``instruction`` is ``input_instruction``, ``input`` the question,
    ``output`` the answer. Pairs without a question or an answer are skipped, as in DataFlow.

    When a row has no ``input_qa_key`` but a chunk file path (``enhanced_chunk_path``,
    ``cleaned_chunk_path`` or ``chunk_path``, from the Batch operators), the pairs are read from
    the file's items. Children keep the parent's other fields (drop them with FieldRemover);
    ``output_json_file`` additionally writes all pairs to one JSON file at the end of each batch.
    """

    def __init__(
        self,
        output_json_file: str | None = None,
        input_instruction: str | None = (
            "Please answer the following question based on the provided information."
        ),
    ) -> None:
        self.output_json_file = output_json_file
        self.instruction = input_instruction or ""
        self._written: list[dict[str, Any]] = []

    def process(
        self,
        rows: list[Row],
        input_qa_key: str = "QA_pairs",
        output_instruction_key: str = "instruction",
        output_question_key: str = "input",
        output_answer_key: str = "output",
    ) -> list[list[Row] | Failure]:
        out: list[list[Row] | Failure] = []
        for row in rows:
            pairs = self._pairs(row, input_qa_key)
            if isinstance(pairs, Failure):
                out.append(pairs)
                continue
            children = []
            for qa in pairs:
                question = str(qa.get("question") or "").strip()
                answer = str(qa.get("answer") or "").strip()
                if not question or not answer:
                    continue
                alpaca = {
                    output_instruction_key: self.instruction,
                    output_question_key: question,
                    output_answer_key: answer,
                }
                children.append({**row, **alpaca})
                self._written.append(alpaca)
            out.append(children)
        if self.output_json_file:
            target = Path(self.output_json_file)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(self._written, ensure_ascii=False, indent=2), "utf-8")
        return out

    def _pairs(self, row: Row, key: str) -> list[dict[str, Any]] | Failure:
        if key in row:
            return _as_pairs(row[key])
        path_key = next((k for k in _PATH_KEYS if row.get(k)), None)
        if path_key is None:
            return Failure(f"row has neither {key!r} nor a chunk file path")
        try:
            items = json.loads(Path(str(row[path_key])).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Failure(f"cannot read {row[path_key]}: {exc}")
        items = items if isinstance(items, list) else [items]
        return [
            qa for item in items if isinstance(item, dict) for qa in _as_pairs(item.get("qa_pairs"))
        ]


def _as_pairs(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = value.get("qa_pairs", [value])
    if not isinstance(value, list):
        return []
    return [qa for qa in value if isinstance(qa, dict)]
