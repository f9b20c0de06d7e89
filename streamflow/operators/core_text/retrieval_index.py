"""A retrieval index over a corpus: BM25 (bm25s) and dense vectors (faiss), persisted, reused.

:class:`RetrievalIndex` is built from a list of documents and saved to a folder:
``manifest.json`` (the embedding model, the method, one content hash per document),
``docs.jsonl``, ``vectors.npy``, ``vectors.faiss`` and ``bm25/``. Opening the folder again with
the same corpus loads it as it is; with a corpus that gained or lost documents, the vectors of
every document already there are reused (looked up by content hash) and only the new ones are
embedded, so an incremental run over a growing corpus pays for its new documents only. BM25 is
rebuilt each time (cheap).

Search: ``"bm25"``, ``"vector"`` (cosine, vectors L2-normalised, inner-product flat index), or
``"hybrid"`` (reciprocal rank fusion of both rankings, k = 60, as in Cormack et al. 2009).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from streamflow.extras import require
from streamflow.serving.embeddings import EmbeddingServing

__all__ = ["Hit", "Method", "RetrievalIndex", "read_corpus"]

Method = Literal["bm25", "vector", "hybrid"]
RRF_K = 60
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    text: str
    score: float


class RetrievalIndex:
    """Documents with their BM25 index and dense vectors; see the module's docstring."""

    def __init__(
        self,
        ids: list[str],
        texts: list[str],
        vectors: np.ndarray | None,
        method: Method,
        model: str,
    ) -> None:
        self.ids, self.texts, self.vectors = ids, texts, vectors
        self.method, self.model = method, model
        self.reused = 0
        """How many documents' vectors came from a saved index instead of the model."""
        self._bm25: Any = None
        self._faiss: Any = None

    # -- building ------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        ids: Sequence[str],
        texts: Sequence[str],
        *,
        method: Method = "hybrid",
        embedder: EmbeddingServing | None = None,
        directory: str | Path | None = None,
    ) -> RetrievalIndex:
        """Build, or load and extend, the index of ``texts`` (saved to ``directory`` if given)."""
        if method not in ("bm25", "vector", "hybrid"):
            raise ValueError(f"method must be bm25, vector or hybrid, not {method!r}")
        if method != "bm25" and embedder is None:
            raise ValueError(f"method {method!r} needs an embedding serving")
        ids, texts = list(ids), list(texts)
        model = embedder.fingerprint() if embedder is not None and method != "bm25" else ""
        hashes = [_hash(t) for t in texts]
        saved = _load_saved(Path(directory), model) if directory is not None else {}
        vectors = None
        reused = 0
        if method != "bm25":
            assert embedder is not None
            missing = [i for i, h in enumerate(hashes) if h not in saved]
            fresh = await embedder.embed([texts[i] for i in missing]) if missing else None
            rows: list[np.ndarray] = []
            k = 0
            for h in hashes:
                if h in saved:
                    rows.append(saved[h])
                    reused += 1
                else:
                    assert fresh is not None
                    rows.append(fresh[k])
                    k += 1
            vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), np.float32)
        index = cls(ids, texts, vectors, method, model)
        index.reused = reused
        index._build()
        if directory is not None:
            index.save(Path(directory), hashes)
        return index

    def _build(self) -> None:
        if self.method != "vector" and self.texts:
            bm25s = require("bm25s", "rag", for_="BM25 retrieval")
            tokens = bm25s.tokenize(self.texts, stopwords="en", show_progress=False)
            self._bm25 = bm25s.BM25()
            self._bm25.index(tokens, show_progress=False)
        if self.method != "bm25" and self.vectors is not None and len(self.vectors):
            faiss = require("faiss", "rag", for_="vector retrieval")
            self._faiss = faiss.IndexFlatIP(self.vectors.shape[1])
            self._faiss.add(self.vectors)

    def save(self, directory: Path, hashes: list[str] | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        hashes = hashes or [_hash(t) for t in self.texts]
        with open(directory / "docs.jsonl", "w", encoding="utf-8") as f:
            for doc_id, text in zip(self.ids, self.texts, strict=True):
                f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        if self.vectors is not None:
            np.save(directory / "vectors.npy", self.vectors)
            if self._faiss is not None:
                faiss = require("faiss", "rag", for_="vector retrieval")
                faiss.write_index(self._faiss, str(directory / "vectors.faiss"))
        if self._bm25 is not None:
            self._bm25.save(str(directory / "bm25"))
        manifest = {"format": _FORMAT, "method": self.method, "model": self.model, "hashes": hashes}
        tmp = directory / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        tmp.replace(directory / "manifest.json")  # written last: a torn save is never loaded

    # -- searching -----------------------------------------------------------------------

    def search(self, query: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
        """The ``k`` best documents for ``query`` (its vector for vector/hybrid search)."""
        if not self.texts:
            return []
        k = min(k, len(self.texts))
        rankings: list[list[tuple[int, float]]] = []
        if self._bm25 is not None:
            rankings.append(self._bm25_search(query, k if self.method == "bm25" else k * 4))
        if self._faiss is not None and query_vector is not None:
            wanted = k if self.method == "vector" else k * 4
            scores, found = self._faiss.search(
                query_vector.reshape(1, -1).astype(np.float32), min(wanted, len(self.texts))
            )
            rankings.append(
                [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if i >= 0]
            )
        if len(rankings) == 1:
            best = rankings[0][:k]
        else:
            fused: dict[int, float] = {}
            for ranking in rankings:
                for rank, (i, _) in enumerate(ranking):
                    fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
            best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Hit(self.ids[i], self.texts[i], score) for i, score in best]

    def _bm25_search(self, query: str, k: int) -> list[tuple[int, float]]:
        bm25s = require("bm25s", "rag", for_="BM25 retrieval")
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        found, scores = self._bm25.retrieve(tokens, k=min(k, len(self.texts)), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


def read_corpus(
    corpus: str | Path | Sequence[str | Path], key: str = "text"
) -> tuple[list[str], list[str]]:
    """Ids and texts of a corpus: JSONL/JSON records (their ``key`` field; ``id`` if present),
    or Markdown/text files (one document each); a folder means every such file in it."""
    specs = [corpus] if isinstance(corpus, str | Path) else list(corpus)
    files: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.suffix in (".jsonl", ".json", ".md", ".txt")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"corpus {spec}: no such file or folder")
    ids: list[str] = []
    texts: list[str] = []
    for path in files:
        if path.suffix in (".md", ".txt"):
            ids.append(path.name)
            texts.append(path.read_text(encoding="utf-8"))
            continue
        raw = path.read_text(encoding="utf-8")
        records = (
            json.loads(raw)
            if path.suffix == ".json"
            else [json.loads(line) for line in raw.splitlines() if line.strip()]
        )
        for n, record in enumerate(records if isinstance(records, list) else [records]):
            value = record.get(key) if isinstance(record, dict) else None
            if not isinstance(value, str):
                raise ValueError(f"corpus {path}: record {n + 1} has no text field {key!r}")
            ids.append(str(record.get("id", f"{path.name}:{n}")))
            texts.append(value)
    return ids, texts


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _load_saved(directory: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors by content hash from a saved index of the same model ({} if none usable)."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != _FORMAT or manifest.get("model") != model or not model:
            return {}
        vectors = np.load(directory / "vectors.npy")
    except (OSError, ValueError):
        return {}
    hashes = manifest.get("hashes", [])
    if len(hashes) != len(vectors):
        return {}
    return dict(zip(hashes, vectors, strict=True))
