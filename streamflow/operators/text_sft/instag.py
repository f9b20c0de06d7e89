"""Instag: the number of intent tags a tagger model finds in an instruction (its diversity and
complexity, after Lu et al., *#InsTag: Instruction Tagging for Analyzing Supervised Fine-tuning*).

DataFlow runs ``OFA-Sys/InsTagger`` (a LLaMA-2 model) on a fixed prompt; it answers with a JSON
list of ``{"tag": ..., "explanation": ...}`` objects and the score is the list's length (a single
object counts 1). Generation is greedy unless ``do_sample``, batched with left padding. An
answer that is not JSON, or JSON of another shape, fails the row with the answer in the reason
(DataFlow scores it 1, as one "Parsing error" tag).
"""

from __future__ import annotations

from typing import Any

import msgspec

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelScorer
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range, text_field
from streamflow.rows import Failure, Row

__all__ = ["InstagFilter", "InstagSampleEvaluator", "count_tags", "instag_prompt"]

_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. The assistant "
    "gives helpful, detailed, and polite answers to the human's questions."
)
_ASK = (
    "Please identify tags of user intentions in the following user query and provide an "
    'explanation for each tag. Please respond in the JSON format {"tag": str, '
    '"explanation": str}.\nUser query: '
)


def instag_prompt(query: str) -> str:
    """The tagger's input, as DataFlow sends it to InsTagger."""
    return f"system: {_SYSTEM} user: {_ASK}{query} Assistant:"


def count_tags(answer: str) -> int | str:
    """The number of tags in the tagger's answer, or why it has none to count."""
    try:
        data = msgspec.json.decode(answer.strip())
    except msgspec.DecodeError:
        return f"tagger answer is not JSON: {answer[:160]!r}"
    if isinstance(data, list) and all(isinstance(t, dict) and "tag" in t for t in data):
        return len(data)
    if isinstance(data, dict) and "tag" in data:
        return 1
    return f"tagger answer is not a list of tags: {answer[:160]!r}"


class _InstagScorer(ModelScorer):
    default_model = "OFA-Sys/InsTagger"
    model_kind = "causal_lm"
    max_new_tokens: int
    temperature: float
    do_sample: bool

    def _set_generation(
        self, max_new_tokens: int, temperature: float, do_sample: bool, num_return_sequences: int
    ) -> None:
        if num_return_sequences != 1:
            raise ValueError(
                f"{type(self).__name__}: num_return_sequences must be 1 (one tag list is scored)"
            )
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.do_sample = do_sample

    def prepare(self, loaded: LoadedModel) -> None:
        loaded.tokenizer.padding_side = "left"

    def tag_counts(self, rows: list[Row], instruction_key: str) -> list[Any]:
        queries = [text_field(row, instruction_key) for row in rows]
        return self.score_all(queries, self._batch)

    def _batch(self, loaded: LoadedModel, queries: list[str]) -> list[int | Failure]:
        tokenizer = loaded.tokenizer
        inputs = tokenizer(
            [instag_prompt(q) for q in queries], return_tensors="pt", padding=True
        ).to(loaded.device)
        sampling: dict[str, Any] = {"do_sample": self.do_sample}
        if self.do_sample:
            sampling["temperature"] = self.temperature
        generated = loaded.model.generate(
            **inputs,
            max_new_tokens=self.max_new_tokens,
            pad_token_id=tokenizer.pad_token_id,
            **sampling,
        )
        answers = tokenizer.batch_decode(
            generated[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        out: list[int | Failure] = []
        for answer in answers:
            count = count_tags(answer)
            out.append(Failure(count) if isinstance(count, str) else count)
        return out


class InstagSampleEvaluator(_InstagScorer, SampleEvaluator):
    """Writes the number of intent tags of each row's instruction into ``output_key``.

    DataFlow's generation parameters keep their meaning; ``return_dict_in_generate`` is
    accepted and has no effect. ``model_name_or_path`` (not in DataFlow) takes another tagger
    or a local copy; ``batch_size`` instructions are tagged at once.
    """

    def __init__(
        self,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        max_new_tokens: int = 1024,
        temperature: float = 0,
        do_sample: bool = False,
        num_return_sequences: int = 1,
        return_dict_in_generate: bool = True,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self._set_generation(max_new_tokens, temperature, do_sample, num_return_sequences)

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        output_key: str = "InstagScore",
    ) -> list[Row | Failure]:
        counts = self.tag_counts(rows, input_instruction_key)
        return [
            c if isinstance(c, Failure) else {**row, output_key: c}
            for row, c in zip(rows, counts, strict=True)
        ]


class InstagFilter(_InstagScorer, Filter):
    """Keeps rows whose tag count lies in ``[min_score, max_score]`` (DataFlow: 0 to 1)."""

    def __init__(
        self,
        min_score: float = 0.0,
        max_score: float = 1.0,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        max_new_tokens: int = 1024,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self._set_generation(max_new_tokens, 0.0, False, 1)
        self.min_score, self.max_score = min_score, max_score

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        output_key: str = "InstagScore",
    ) -> list[Any]:
        counts = self.tag_counts(rows, input_instruction_key)
        return keep_in_range(rows, counts, output_key, self.min_score, self.max_score)
