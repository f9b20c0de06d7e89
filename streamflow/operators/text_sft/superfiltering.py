"""Superfiltering: instruction-following difficulty (IFD) from a small causal LM.

IFD (Li et al., *Superfiltering: Weak-to-Strong Data Filtering for Fast Instruction-Tuning*) is
the model's perplexity on the response given the instruction, divided by its perplexity on the
response alone. Near 1 the instruction does not help predict the response (a hard or unrelated
pair); far below 1 the response follows easily from it. DataFlow scores with GPT-2 and keeps
rows with IFD in [0, 1] by default.

How a row is scored, exactly:

- the prompt is ``"{instruction}\\n"``, or ``"{instruction}\\n{input}\\n"`` when an input field
  is bound and non-empty (DataFlow's templates);
- prompt and response are tokenized apart and joined (``[BOS] + prompt + response``; BOS only
  when the tokenizer adds one), so both perplexities are over the very same response tokens;
  DataFlow tokenizes the joined text and locates the response by re-tokenizing the prefix;
- the response is cut so that prompt and response fit ``max_length`` tokens;
- the loss is the mean negative log-likelihood of the response tokens that have a token before
  them (alone, without BOS, the first response token is not predicted, as in DataFlow);
- IFD = exp(loss given the prompt) / exp(loss alone).

A response with nothing to predict, or a prompt that leaves no room for one in ``max_length``,
fails the row with the reason (DataFlow writes ``None``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.operators.text_sft.model_scorer import LoadedModel, ModelScorer
from streamflow.operators.text_sft.score_filter import check_range, keep_in_range, text_field
from streamflow.rows import Failure, Row

__all__ = ["SuperfilteringFilter", "SuperfilteringSampleEvaluator", "ifd_prompt"]


def ifd_prompt(instruction: str, input_text: str = "") -> str:
    """The text the response is conditioned on."""
    return f"{instruction}\n{input_text}\n" if input_text else f"{instruction}\n"


@dataclass
class _Pair:
    prompt: str
    response: str


class _SuperfilteringScorer(ModelScorer):
    default_model = "gpt2"
    model_kind = "causal_lm"
    max_length: int

    def pairs(
        self, rows: list[Row], instruction_key: str, input_key: str | None, output_key: str
    ) -> list[_Pair | Failure]:
        out: list[_Pair | Failure] = []
        for row in rows:
            instruction = text_field(row, instruction_key)
            response = text_field(row, output_key)
            extra = text_field(row, input_key, required=False)
            failed = next(
                (f for f in (instruction, response, extra) if isinstance(f, Failure)), None
            )
            if failed is not None:
                out.append(failed)
            else:
                out.append(_Pair(ifd_prompt(str(instruction), str(extra)), str(response)))
        return out

    def ifd(
        self, rows: list[Row], instruction_key: str, input_key: str | None, output_key: str
    ) -> list[float | Failure]:
        return self.score_all(self.pairs(rows, instruction_key, input_key, output_key), self._batch)

    def _batch(self, loaded: LoadedModel, pairs: list[_Pair]) -> list[float | Failure]:
        tokenizer = loaded.tokenizer
        bos = _bos_prefix(tokenizer)
        conditioned: list[tuple[list[int], int]] = []  # (ids, index of the first response id)
        alone: list[tuple[list[int], int]] = []
        results: list[float | Failure | None] = [None] * len(pairs)
        for i, pair in enumerate(pairs):
            prompt_ids = bos + tokenizer(pair.prompt, add_special_tokens=False)["input_ids"]
            response_ids = tokenizer(pair.response, add_special_tokens=False)["input_ids"]
            room = self.max_length - len(prompt_ids)
            response_ids = response_ids[: max(room, 0)]
            scored_alone = len(response_ids) - (0 if bos else 1)
            if room < 1:
                results[i] = Failure(
                    f"the instruction takes {len(prompt_ids)} tokens, leaving no room for the "
                    f"response in max_length={self.max_length}"
                )
            elif scored_alone < 1:
                results[i] = Failure("the response has too few tokens to score")
            else:
                conditioned.append((prompt_ids + response_ids, len(prompt_ids)))
                alone.append((bos + response_ids, len(bos)))
        losses_given = iter(_response_losses(loaded, conditioned))
        losses_alone = iter(_response_losses(loaded, alone))
        out: list[float | Failure] = []
        for result in results:
            if result is not None:
                out.append(result)
                continue
            given, by_itself = next(losses_given), next(losses_alone)
            value = math.exp(given - by_itself)
            out.append(value if math.isfinite(value) else Failure("IFD is not a finite number"))
        return out


class SuperfilteringSampleEvaluator(_SuperfilteringScorer, SampleEvaluator):
    """Writes each row's IFD (see the module docstring) into ``output_key``.

    ``model_name_or_path`` (not in DataFlow, which always loads GPT-2) takes a hub id or a local
    directory, e.g. the embedded SmolLM2's; ``batch_size`` rows go through the model at once.
    """

    def __init__(
        self,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        if max_length < 2:
            raise ValueError(f"max_length must be >= 2, got {max_length}")
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.max_length = max_length

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_input_key: str | None = None,
        input_output_key: str = "output",
        output_key: str = "SuperfilteringScore",
    ) -> list[Row | Failure]:
        scores = self.ifd(rows, input_instruction_key, input_input_key, input_output_key)
        return [
            s if isinstance(s, Failure) else {**row, output_key: s}
            for row, s in zip(rows, scores, strict=True)
        ]


class SuperfilteringFilter(_SuperfilteringScorer, Filter):
    """Keeps rows whose IFD lies in ``[min_score, max_score]`` (DataFlow: 0 to 1).

    ``input_input_key`` defaults to ``None`` (no input field); DataFlow's filter defaults to
    ``'input'``, which a plan would then require every row source to have: bind it to read one.
    """

    def __init__(
        self,
        min_score: float = 0.0,
        max_score: float = 1.0,
        device: str | None = None,
        model_cache_dir: str | None = "./dataflow_cache",
        max_length: int = 512,
        *,
        model_name_or_path: str | None = None,
        batch_size: int = 8,
    ) -> None:
        check_range(type(self).__name__, min_score, max_score)
        if max_length < 2:
            raise ValueError(f"max_length must be >= 2, got {max_length}")
        self._set_model(model_name_or_path, device, model_cache_dir, batch_size)
        self.min_score = min_score
        self.max_score = max_score
        self.max_length = max_length

    def process(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_input_key: str | None = None,
        input_output_key: str = "output",
        output_key: str = "SuperfilteringScore",
    ) -> list[Any]:
        scores = self.ifd(rows, input_instruction_key, input_input_key, input_output_key)
        return keep_in_range(rows, scores, output_key, self.min_score, self.max_score)


def _bos_prefix(tokenizer: Any) -> list[int]:
    """``[bos_token_id]`` when the tokenizer puts one before a text by itself, else ``[]``."""
    bos = tokenizer.bos_token_id
    ids = tokenizer("a")["input_ids"]
    return [bos] if bos is not None and ids and ids[0] == bos else []


def _response_losses(loaded: LoadedModel, sequences: list[tuple[list[int], int]]) -> list[float]:
    """Mean NLL of each sequence's tokens from ``start`` on (those with a token before them),
    one padded forward pass for all of them."""
    if not sequences:
        return []
    import torch

    width = max(len(ids) for ids, _ in sequences)
    pad = loaded.tokenizer.pad_token_id or 0
    input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    scored = torch.zeros((len(sequences), width), dtype=torch.bool)
    for row, (ids, start) in enumerate(sequences):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        attention[row, : len(ids)] = 1
        scored[row, max(start, 1) : len(ids)] = True
    logits = loaded.model(
        input_ids=input_ids.to(loaded.device), attention_mask=attention.to(loaded.device)
    ).logits.float()
    log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
    targets = input_ids[:, 1:].to(loaded.device)
    nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    mask = scored[:, 1:].to(loaded.device)
    losses = (nll * mask).sum(dim=1) / mask.sum(dim=1)
    return [float(v) for v in losses.cpu()]
