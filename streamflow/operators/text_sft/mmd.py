"""MMDDatasetEvaluator: how far a dataset's distribution lies from a reference dataset's.

The maximum mean discrepancy (Gretton et al., 2012) between the embeddings of two samples,
with an RBF kernel ``k(a, b) = exp(-|a - b|^2 / (2 sigma^2))``:
``MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y)``, over all pairs (``bias=True``, the
V-statistic) or over distinct pairs within a sample (``bias=False``, unbiased). 0 means the
samples are indistinguishable to the kernel. A row becomes the text ``"{instruction}\\n{output}"``
before it is embedded.

Streaming: each sample keeps at most ``max_sample_num`` rows, chosen by a hash of the row id and
``shuffle_seed`` (a bottom-k sample: uniform, independent of arrival order, the same on every
run, and exact across a resume). New members are embedded as they arrive, in the worker thread
that runs ``observe``; the report only computes the kernel sums. The reference is read and
embedded on the first batch. The saved state is the kept texts (not their embeddings): a run
resumed at its very end embeds them again in ``report()``.

Differences from DataFlow (which delegates to the ``distflow`` package): ``ref_frame`` is a
``FileStorage``, a path or a list of rows; DataFlow's sampling is pandas' ``sample`` with
``shuffle_seed``; ``embedding_type='vllm'`` and the Redis cache are not supported (the
constructor says so); ``embedding_type='transformers'`` (ours) mean-pools any Hugging Face
encoder without sentence-transformers. The report holds ``mmd`` (the square root of ``mmd2``,
0 when that is negative) and ``mmd2``, with the sample sizes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from streamflow.actors.base import DatasetEvaluator
from streamflow.extras import require
from streamflow.rows import Row, fingerprint, row_ids

__all__ = ["MMDDatasetEvaluator", "mmd_squared"]

EmbeddingType = Literal["sentence_transformers", "transformers", "vllm"]


class MMDDatasetEvaluator(DatasetEvaluator):
    """Reports the MMD between the rows' and a reference dataset's embeddings (module docstring).

    ``embedding_model_name`` is required, as in DataFlow: a sentence-transformers model (hub id
    or directory), or for ``embedding_type='transformers'`` any encoder.
    """

    def __init__(
        self,
        ref_frame: Any,
        *,
        max_sample_num: int = 5000,
        shuffle_seed: int = 42,
        ref_instruction_key: str = "input",
        ref_output_key: str = "output",
        kernel_type: Literal["RBF"] = "RBF",
        bias: bool = True,
        rbf_sigma: float = 1.0,
        embedding_type: EmbeddingType = "sentence_transformers",
        embedding_model_name: str | None = None,
        st_device: str | None = None,
        st_batch_size: int = 32,
        st_normalize_embeddings: bool = True,
        vllm_max_num_seqs: int = 128,
        vllm_gpu_memory_utilization: float = 0.9,
        vllm_tensor_parallel_size: int = 1,
        vllm_pipeline_parallel_size: int = 1,
        vllm_truncate_max_length: int = 40960,
        cache_type: Literal["redis", "none"] = "none",
        redis_url: str = "redis://127.0.0.1:6379",
        max_concurrent_requests: int = 50,
        redis_db: int = 0,
        cache_model_id: str | None = None,
    ) -> None:
        if embedding_model_name is None:
            raise ValueError("MMDDatasetEvaluator: embedding_model_name must be given")
        if kernel_type != "RBF":
            raise ValueError(f"MMDDatasetEvaluator: kernel_type must be 'RBF', not {kernel_type!r}")
        if embedding_type == "vllm":
            raise ValueError(
                "MMDDatasetEvaluator: embedding_type='vllm' is not supported; use "
                "'sentence_transformers' or 'transformers'"
            )
        if embedding_type not in ("sentence_transformers", "transformers"):
            raise ValueError(f"MMDDatasetEvaluator: unknown embedding_type {embedding_type!r}")
        if cache_type != "none":
            raise ValueError("MMDDatasetEvaluator: cache_type must be 'none' (no Redis cache)")
        if max_sample_num < 1 or rbf_sigma <= 0:
            raise ValueError("MMDDatasetEvaluator: max_sample_num >= 1 and rbf_sigma > 0 required")
        require(
            "sentence_transformers" if embedding_type != "transformers" else "transformers",
            "models",
        )
        self.ref_frame = ref_frame
        self.max_sample_num = max_sample_num
        self.shuffle_seed = shuffle_seed
        self.ref_instruction_key = ref_instruction_key
        self.ref_output_key = ref_output_key
        self.bias = bias
        self.rbf_sigma = rbf_sigma
        self.embedding_type = embedding_type
        self.embedding_model_name = embedding_model_name
        self.st_device = st_device
        self.st_batch_size = st_batch_size
        self.st_normalize_embeddings = st_normalize_embeddings
        self._kept: list[tuple[int, str]] = []  # (-key, text): a max-heap of the smallest keys
        self._skipped = 0
        self._embedded: dict[str, Any] = {}
        self._reference: Any = None
        self._embedder: Any = None

    # -- the hook ----------------------------------------------------------------------------

    def observe(
        self,
        rows: list[Row],
        input_instruction_key: str = "instruction",
        input_output_key: str = "output",
    ) -> None:
        self._ensure_reference()
        texts = []
        for row_id, row in zip(row_ids(), rows, strict=True):
            text = _pair_text(row, input_instruction_key, input_output_key)
            if text is None:
                self._skipped += 1
            else:
                texts.append((self._key(row_id), text))
        self._kept = _bottom_k(self._kept, texts, self.max_sample_num)
        self._embed_missing()

    def report(self) -> dict[str, Any]:
        self._ensure_reference()
        self._embed_missing()
        np = require("numpy", "models")
        meta = {
            "eval_size": len(self._kept),
            "ref_size": int(self._reference.shape[0]),
            "skipped_rows": self._skipped,
            "kernel": "RBF",
            "rbf_sigma": self.rbf_sigma,
            "bias": self.bias,
            "embedding_model": self.embedding_model_name,
        }
        if not self._kept:
            return {"mmd": None, "mmd2": None, "meta": {**meta, "reason": "no rows to compare"}}
        sample = np.stack([self._embedded[text] for _, text in sorted(self._kept, reverse=True)])
        value = mmd_squared(sample, self._reference, self.rbf_sigma, biased=self.bias)
        return {"mmd": math.sqrt(max(value, 0.0)), "mmd2": value, "meta": meta}

    def state_dict(self) -> dict[str, Any]:
        return {"kept": [[key, text] for key, text in self._kept], "skipped": self._skipped}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._kept = [(int(key), str(text)) for key, text in state.get("kept", [])]
        heapq.heapify(self._kept)
        self._skipped = int(state.get("skipped", 0))

    # -- helpers -----------------------------------------------------------------------------

    def _key(self, row_id: str) -> int:
        return -int(fingerprint(f"{self.shuffle_seed}|{row_id}", 15), 16)  # fits int64

    def _ensure_reference(self) -> None:
        if self._reference is not None:
            return
        pairs = []
        for row_id, row in _reference_rows(self.ref_frame):
            text = _pair_text(row, self.ref_instruction_key, self.ref_output_key)
            if text is not None:
                pairs.append((self._key(row_id), text))
        sample = [
            text for _, text in sorted(_bottom_k([], pairs, self.max_sample_num), reverse=True)
        ]
        if not sample:
            raise ValueError(
                f"MMDDatasetEvaluator: the reference has no rows with text in "
                f"{self.ref_instruction_key!r} and {self.ref_output_key!r}"
            )
        self._reference = self._embed(sample)

    def _embed_missing(self) -> None:
        kept = {text for _, text in self._kept}
        todo = [text for text in kept if text not in self._embedded]
        if todo:
            self._embedded.update(zip(todo, self._embed(todo), strict=True))
        for text in [t for t in self._embedded if t not in kept]:
            del self._embedded[text]

    def _embed(self, texts: list[str]) -> Any:
        if self._embedder is None:
            self._embedder = _load_embedder(self)
        return self._embedder(texts)


def mmd_squared(x: Any, y: Any, sigma: float, *, biased: bool = True) -> float:
    """MMD^2 between samples ``x`` (n x d) and ``y`` (m x d) under an RBF kernel of width
    ``sigma``; ``biased=False`` leaves out each sample's pairs of a point with itself."""
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)

    def kernel_mean(a: Any, b: Any, same: bool) -> float:
        sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
        k = np.exp(-np.maximum(sq, 0.0) / (2.0 * sigma * sigma))
        if same and not biased:
            n = a.shape[0]
            if n < 2:
                raise ValueError("the unbiased MMD needs at least two rows in each sample")
            return float((k.sum() - np.trace(k)) / (n * (n - 1)))
        return float(k.mean())

    return kernel_mean(x, x, True) + kernel_mean(y, y, True) - 2.0 * kernel_mean(x, y, False)


def _pair_text(row: Row, instruction_key: str, output_key: str) -> str | None:
    instruction, output = row.get(instruction_key), row.get(output_key)
    if not isinstance(instruction, str) or not isinstance(output, str):
        return None
    return f"{instruction}\n{output}"


def _bottom_k(
    kept: list[tuple[int, str]], new: Iterable[tuple[int, str]], k: int
) -> list[tuple[int, str]]:
    """The ``k`` entries with the smallest keys (stored negated: the heap's top is the largest)."""
    heap = list(kept)
    for neg_key, text in new:
        if len(heap) < k:
            heapq.heappush(heap, (neg_key, text))
        elif neg_key > heap[0][0]:
            heapq.heapreplace(heap, (neg_key, text))
    return heap


def _reference_rows(ref: Any) -> Iterable[tuple[str, Row]]:
    """(id, row) pairs of the reference: a FileStorage's input, a path (or paths), or rows."""
    from streamflow.io.sources import FileSource

    if hasattr(ref, "entry_file"):  # a FileStorage (which sits above the operators)
        ref = ref.entry_file
    if isinstance(ref, str | Path) or (
        isinstance(ref, list) and ref and all(isinstance(p, str | Path) for p in ref)
    ):
        for batch, _bad in FileSource(ref, on_bad_record="skip").iter_batches(1000):
            yield from zip(batch.ids, batch.rows, strict=True)
        return
    if isinstance(ref, list) and all(isinstance(r, dict) for r in ref):
        yield from ((f"ref:{i}", row) for i, row in enumerate(ref))
        return
    raise TypeError(
        f"MMDDatasetEvaluator: ref_frame must be a FileStorage, a path or a list of rows, "
        f"not {type(ref).__name__}"
    )


def _load_embedder(op: MMDDatasetEvaluator) -> Any:
    """A function texts -> (n x d) float array, normalised when ``st_normalize_embeddings``."""
    np = require("numpy", "models")
    if op.embedding_type == "sentence_transformers":
        st = require("sentence_transformers", "models")
        model = st.SentenceTransformer(
            op.embedding_model_name, device=op.st_device, trust_remote_code=True
        )

        def encode(texts: list[str]) -> Any:
            return model.encode(
                texts,
                batch_size=op.st_batch_size,
                normalize_embeddings=op.st_normalize_embeddings,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float64)

        return encode

    from streamflow.operators.text_sft.model_scorer import load_model

    loaded = load_model("encoder", str(op.embedding_model_name), op.st_device, None)
    torch = require("torch", "models")

    def mean_pool(texts: list[str]) -> Any:
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), op.st_batch_size):
                enc = loaded.tokenizer(
                    texts[start : start + op.st_batch_size],
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                ).to(loaded.device)
                hidden = loaded.model(**enc).last_hidden_state.float()
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                if op.st_normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out.append(pooled.cpu().double().numpy())
        return np.concatenate(out)

    return mean_pool
