"""Dataset diversity as the Task2Vec diversity coefficient (Miranda et al. 2023, "Beyond Scale";
DataFlow's ``Task2VecDatasetEvaluator``).

``sample_nums`` batches of ``sample_size`` texts are drawn from the dataset; each batch becomes a
Task2Vec embedding of a causal language model (the probe network): starting from the probe's
weights, its output head is fine-tuned on the batch (AdamW, lr 5e-5, 5 epochs), then the
diagonal of the Fisher information is estimated with targets sampled from the model's own
predictions (one Monte Carlo pass), and each weight matrix's Fisher values are averaged per
output unit. The distance between two embeddings is the cosine distance of their Fisher values
scaled by their sum (``h0 / (h0 + h1)`` against ``h1 / (h0 + h1)``); the coefficient is the mean
distance over all pairs of batches, reported with its standard deviation
(``Task2VecDiversityScore``, ``ConfidenceInterval``).

Differences from DataFlow, each deliberate:

- Streaming: the batches come from a sample kept while rows pass, the ``sample_nums *
  sample_size`` rows with the smallest hash of their row id (seeded): a uniform draw that does
  not depend on batch boundaries or order, and that a resumed run continues. DataFlow draws
  with ``random.sample`` from the whole dataset in memory.
- Every batch starts from the probe's original weights (DataFlow fine-tunes one network batch
  after batch, so each embedding depends on the batches before it) and uses the same seed, so
  two identical batches get identical embeddings (distance 0).
- The mean is over all pairs; DataFlow drops distances that are exactly 0 before averaging.
- ``model_name`` (ours) names the probe: DataFlow's ``gpt2`` where the hub can be reached, or a
  local model directory (any causal LM: the embedded SmolLM2's directory works offline).
  ``method`` must be ``"montecarlo"``: DataFlow's ``"variational"`` needs a probe network with
  variational layers and fails for language models there too.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

from streamflow.actors.base import DatasetEvaluator
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._models import pick_device, resolve_model
from streamflow.rows import Row, row_ids

__all__ = ["Task2VecDatasetEvaluator", "task2vec_distance"]

F64 = npt.NDArray[np.float64]
FINETUNE_EPOCHS = 5
LOADER_BATCH = 8


def task2vec_distance(h0: F64, h1: F64) -> float:
    """Cosine distance of two Fisher embeddings scaled by their sum (Task2Vec's ``cosine``)."""
    total = h0 + h1 + 1e-8
    a, b = h0 / total, h1 / total
    return float(1.0 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class Task2VecDatasetEvaluator(DatasetEvaluator):
    """Reports the Task2Vec diversity coefficient of ``input_key`` (module docstring)."""

    def __init__(
        self,
        device: str = "cuda",
        sample_nums: int = 10,
        sample_size: int = 1,
        method: str | None = "montecarlo",
        model_cache_dir: str = "./dataflow_cache",
        model_name: str = "gpt2",
        max_length: int = 512,
        seed: int = 42,
    ) -> None:
        if method not in ("montecarlo", "variational"):
            raise ValueError(
                f"{self.name}: method must be 'montecarlo' or 'variational', got {method!r}"
            )
        if method == "variational":
            raise ValueError(
                f"{self.name}: the variational Fisher needs a probe with variational layers; "
                "language models support method='montecarlo' only"
            )
        if sample_nums < 2 or sample_size < 1:
            raise ValueError(f"{self.name}: sample_nums >= 2 and sample_size >= 1 are needed")
        self.sample_nums = sample_nums
        self.sample_size = sample_size
        self.method = method
        self.model_cache_dir = model_cache_dir
        self.model_name = model_name
        self.max_length = max_length
        self.seed = seed
        self.device = pick_device(device)
        transformers = require("transformers", "models")
        path = resolve_model(model_name)
        self._tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
            path, cache_dir=model_cache_dir
        )
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._probe: Any = transformers.AutoModelForCausalLM.from_pretrained(
            path, cache_dir=model_cache_dir
        ).to(self.device)
        self.sample: list[tuple[int, str, str]] = []  # (priority, row id, text): the smallest

    # -- the sample ------------------------------------------------------------------------

    def observe(self, rows: list[Row], input_key: str = "text") -> None:
        keep = self.sample_nums * self.sample_size
        seen = {row_id for _, row_id, _ in self.sample}  # a replayed row is not drawn twice
        for row_id, row in zip(row_ids(), rows, strict=True):
            if row_id in seen:
                continue
            text = text_field(self.name, row, input_key)
            self.sample.append((xxhash.xxh64_intdigest(row_id.encode(), self.seed), row_id, text))
        self.sample = sorted(self.sample)[:keep]

    def state_dict(self) -> dict[str, Any]:
        return {"sample": [list(item) for item in self.sample]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sample = [(int(p), str(i), str(t)) for p, i, t in state["sample"]]

    # -- the embeddings --------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        texts = [text for _, _, text in self.sample]
        if len(texts) < 2 * self.sample_size:
            return {"Task2VecDiversityScore": None, "ConfidenceInterval": None, "rows": len(texts)}
        batches = [
            texts[i * self.sample_size : (i + 1) * self.sample_size]
            for i in range(len(texts) // self.sample_size)
        ]
        embeddings = [self.embed(batch) for batch in batches]
        distances = np.array(
            [task2vec_distance(a, b) for a, b in itertools.combinations(embeddings, 2)]
        )
        return {
            "Task2VecDiversityScore": float(distances.mean()),
            "ConfidenceInterval": float(distances.std()),
            "rows": len(texts),
        }

    def embed(self, texts: list[str]) -> F64:
        """The Task2Vec embedding of one batch: per-unit means of the Fisher diagonal."""
        torch = require("torch", "models")
        model = self._probe
        original = {k: v.detach().clone() for k, v in model.state_dict().items()}
        try:
            torch.manual_seed(self.seed)
            encoded = self._tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            ignore = self._tokenizer.pad_token_id
            self._finetune_head(encoded, ignore)
            return self._fisher(encoded, ignore)
        finally:
            model.load_state_dict(original)
            model.zero_grad(set_to_none=True)

    def _loss(self, logits: Any, targets: Any, ignore: int) -> Any:
        torch = require("torch", "models")
        return torch.nn.functional.cross_entropy(
            logits[:, :-1, :].transpose(1, 2), targets[:, 1:], ignore_index=ignore
        )

    def _finetune_head(self, encoded: Any, ignore: int) -> None:
        torch = require("torch", "models")
        model = self._probe
        head = model.get_output_embeddings()
        optimizer = torch.optim.AdamW(head.parameters(), lr=5e-5, eps=1e-8, weight_decay=1e-4)
        model.train()
        ids, mask = encoded["input_ids"], encoded["attention_mask"]
        for _ in range(FINETUNE_EPOCHS):
            for start in range(0, len(ids), LOADER_BATCH):
                batch = slice(start, start + LOADER_BATCH)
                optimizer.zero_grad()
                logits = model(input_ids=ids[batch], attention_mask=mask[batch]).logits
                self._loss(logits, ids[batch], ignore).backward()
                optimizer.step()

    def _fisher(self, encoded: Any, ignore: int) -> F64:
        torch = require("torch", "models")
        model = self._probe
        squares = {id(p): torch.zeros_like(p) for p in model.parameters()}
        counts = dict.fromkeys(squares, 0)
        ids, mask = encoded["input_ids"], encoded["attention_mask"]
        for start in range(0, len(ids), LOADER_BATCH):
            batch = slice(start, start + LOADER_BATCH)
            logits = model(input_ids=ids[batch], attention_mask=mask[batch]).logits
            probs = torch.softmax(logits.detach().float(), dim=-1)
            sampled = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1)
            targets = sampled.reshape(probs.shape[:-1])
            model.zero_grad()
            self._loss(logits, targets, ignore).backward()
            for p in model.parameters():
                if p.grad is not None:
                    squares[id(p)] += p.grad.detach() ** 2
                    counts[id(p)] += 1
        head = model.get_output_embeddings()
        parts = []
        for module in model.modules():
            if module is head:
                continue
            weight = getattr(module, "weight", None)
            if not isinstance(weight, torch.nn.Parameter) or not counts.get(id(weight)):
                continue
            fisher = squares[id(weight)] / counts[id(weight)]
            per_unit = fisher.reshape(fisher.shape[0], -1).mean(dim=1)
            parts.append(per_unit.double().cpu().numpy())
        return np.concatenate(parts)
