"""Deita complexity and quality scores: the expected score under a scorer model's first token.

Deita (Liu et al., *What Makes Good Data for Alignment?*) trained two LLaMA models to answer a
fixed prompt with a score from 1 to 6: one rates an instruction's complexity, the other a
response's quality. The score is read from one forward pass: the next-token logits of the six
digit tokens after the prompt, softmaxed, give the expected value (between 1 and 6). The prompts
below are the ones the published models (``hkust-nlp/deita-complexity-scorer``,
``hkust-nlp/deita-quality-scorer``) were trained on; they must stay as they are.

DataFlow runs ``generate`` with ``max_new_tokens=max_length`` and reads the first step's scores;
here one forward pass over a right-padded batch gives the same logits. ``max_length`` bounds the
prompt instead: a longer instruction (and response) is cut, token-wise, to fit, keeping the end
of the prompt where the score is read.
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelScorer
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range, text_field
from streamflow.rows import Failure, Row

__all__ = [
    "COMPLEXITY_PROMPT",
    "QUALITY_PROMPT",
    "DeitaComplexityFilter",
    "DeitaComplexitySampleEvaluator",
    "DeitaQualityFilter",
    "DeitaQualitySampleEvaluator",
]

COMPLEXITY_PROMPT = (
    "You are a helpful assistant. Please identify the complexity score of the following user "
    "query. \n##Query: {instruction}\n##Complexity: "
)
QUALITY_PROMPT = (
    "You are a helpful assistant. Please identify the quality score of the Response "
    "corresponding to the Question.\n#Question#:\n{instruction}\n#Response#:\n{output}\n"
    "##Quality: "
)
SCORES = (1, 2, 3, 4, 5, 6)


class _DeitaScorer(ModelScorer):
    model_kind = "causal_lm"
    uses_output: ClassVar[bool]
    max_length: int
    _score_ids: list[int]

    def prepare(self, loaded: LoadedModel) -> None:
        self._score_ids = [_token_id(loaded.tokenizer, str(s)) for s in SCORES]

    def scores(self, rows: list[Row], instruction_key: str, output_key: str) -> list[Any]:
        items: list[tuple[str, str] | Failure] = []
        for row in rows:
            instruction = text_field(row, instruction_key)
            output = text_field(row, output_key) if self.uses_output else ""
            if isinstance(instruction, Failure):
                items.append(instruction)
            elif isinstance(output, Failure):
                items.append(output)
            else:
                items.append((instruction, output))
        return self.score_all(items, self._batch)

    def _batch(self, loaded: LoadedModel, items: list[tuple[str, str]]) -> list[float]:
        import torch

        encoded = [self._encode(loaded.tokenizer, instruction, out) for instruction, out in items]
        width = max(len(ids) for ids in encoded)
        input_ids = torch.full((len(encoded), width), loaded.tokenizer.pad_token_id or 0)
        attention = torch.zeros((len(encoded), width), dtype=torch.long)
        for i, ids in enumerate(encoded):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            attention[i, : len(ids)] = 1
        logits = loaded.model(
            input_ids=input_ids.to(loaded.device), attention_mask=attention.to(loaded.device)
        ).logits.float()
        last = torch.tensor([len(ids) - 1 for ids in encoded], device=logits.device)
        final = logits[torch.arange(len(encoded), device=logits.device), last]
        probs = torch.softmax(final[:, self._score_ids], dim=-1)
        expected = probs @ torch.tensor(SCORES, dtype=probs.dtype, device=probs.device)
        return [float(v) for v in expected.cpu()]

    def _encode(self, tokenizer: Any, instruction: str, output: str) -> list[int]:
        """The prompt's token ids, its texts cut so that it fits ``max_length`` tokens."""
        template = QUALITY_PROMPT if self.uses_output else COMPLEXITY_PROMPT
        ids: list[int] = tokenizer(template.format(instruction=instruction, output=output))[
            "input_ids"
        ]
        if len(ids) <= self.max_length:
            return ids
        frame = len(tokenizer(template.format(instruction="", output=""))["input_ids"])
        budget = max(self.max_length - frame, 2)
        cut_instruction = budget // 2 if self.uses_output else budget
        instruction = _clip_tokens(tokenizer, instruction, cut_instruction)
        rest = budget - len(tokenizer(instruction, add_special_tokens=False)["input_ids"])
        output = _clip_tokens(tokenizer, output, max(rest, 1))
        clipped: list[int] = tokenizer(template.format(instruction=instruction, output=output))[
            "input_ids"
        ]
        return clipped


class DeitaComplexitySampleEvaluator(_DeitaScorer, SampleEvaluator):
    """Writes the Deita complexity score (1 to 6) of each row's instruction into ``output_key``.

    ``model_name_or_path`` (not in DataFlow) replaces the published scorer with a local copy
    or another model that answers the same prompt with a digit; ``batch_size`` rows go through
    the model at once.
    """

    default_model = "hkust-nlp/deita-complexity-scorer"
    uses_output = False

    def __init__(
        self,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.max_length = max_length

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
        output_key: str = "DeitaComplexityScore",
    ) -> list[Row | Failure]:
        scores = self.scores(rows, input_instruction_key, input_output_key)
        return _with_scores(rows, scores, output_key)


class DeitaQualitySampleEvaluator(_DeitaScorer, SampleEvaluator):
    """Writes the Deita quality score (1 to 6) of each row's response into ``output_key``.

    Parameters as :class:`DeitaComplexitySampleEvaluator`.
    """

    default_model = "hkust-nlp/deita-quality-scorer"
    uses_output = True

    def __init__(
        self,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.max_length = max_length

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
        output_key: str = "DeitaQualityScore",
    ) -> list[Row | Failure]:
        scores = self.scores(rows, input_instruction_key, input_output_key)
        return _with_scores(rows, scores, output_key)


class DeitaComplexityFilter(_DeitaScorer, Filter):
    """Keeps rows whose Deita complexity score lies in ``[min_score, max_score]`` (3 to 5)."""

    default_model = "hkust-nlp/deita-complexity-scorer"
    uses_output = False

    def __init__(
        self,
        min_score: float = 3.0,
        max_score: float = 5.0,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.min_score, self.max_score, self.max_length = min_score, max_score, max_length

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
        output_key: str = "DeitaComplexityScore",
    ) -> list[Any]:
        scores = self.scores(rows, input_instruction_key, input_output_key)
        return keep_in_range(rows, scores, output_key, self.min_score, self.max_score)


class DeitaQualityFilter(_DeitaScorer, Filter):
    """Keeps rows whose Deita quality score is at least ``min_score`` (2.5) and at most
    ``max_score``."""

    default_model = "hkust-nlp/deita-quality-scorer"
    uses_output = True

    def __init__(
        self,
        min_score: float = 2.5,
        max_score: float = 10000.0,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.min_score, self.max_score, self.max_length = min_score, max_score, max_length

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
        output_key: str = "DeitaQualityScore",
    ) -> list[Any]:
        scores = self.scores(rows, input_instruction_key, input_output_key)
        return keep_in_range(rows, scores, output_key, self.min_score, self.max_score)


def _with_scores(rows: list[Row], scores: list[Any], key: str) -> list[Row | Failure]:
    return [
        s if isinstance(s, Failure) else {**row, key: s}
        for row, s in zip(rows, scores, strict=True)
    ]


def _token_id(tokenizer: Any, text: str) -> int:
    """The id of the token ``text`` (the bare digit, as the published scorers emit it)."""
    token_id = tokenizer.convert_tokens_to_ids(text)
    if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
        return token_id
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return int(ids[-1])


def _clip_tokens(tokenizer: Any, text: str, limit: int) -> str:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return text if len(ids) <= limit else str(tokenizer.decode(ids[:limit]))
