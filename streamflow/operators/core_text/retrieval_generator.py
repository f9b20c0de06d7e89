"""RetrievalGenerator: retrieve passages for each row's query from a real index, and answer.

DataFlow's operator sends each query to a LightRAG serving built from a document list. Here the
index is :class:`~streamflow.operators.core_text.retrieval_index.RetrievalIndex` (BM25 and faiss
vectors, hybrid by default), built from ``corpus`` the first time a batch arrives, saved to
``index_dir`` and reused by later runs (only new documents are embedded). Each row's query gets
its ``top_k`` passages; with ``generate_answer`` (the default, as in DataFlow) the LLM answers
the query from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio

from streamflow.actors.base import Generator
from streamflow.operators.core_text.retrieval_index import Method, RetrievalIndex, read_corpus
from streamflow.operators.llm import ask_each, default_serving
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing
from streamflow.serving.embeddings import EmbeddingServing, default_embedding_serving

__all__ = ["RetrievalGenerator"]

ANSWER_PROMPT = (
    "Answer the question using only the passages below. If they do not contain the answer, "
    "say so.\n\n{passages}\n\nQuestion: {query}\nAnswer:"
)


class RetrievalGenerator(Generator):
    """Retrieves ``top_k`` passages for ``input_key`` and (optionally) answers from them.

    ``corpus``: JSONL/JSON files (field ``corpus_key``), Markdown/text files, a folder of them,
    or a list of strings. ``method``: ``"bm25"``, ``"vector"`` or ``"hybrid"``.
    ``output_key`` gets the LLM's answer (with ``generate_answer=False``: the passages joined,
    ready to be a prompt's context); ``output_passages_key`` (unless None) gets
    ``[{"id", "text", "score"}, ...]``, best first.
    """

    expensive: ClassVar[bool] = True

    def __init__(
        self,
        llm_serving: LLMServing | None = None,
        system_prompt: str = "You are a helpful agent.",
        corpus: str | Path | Sequence[str | Path] | None = None,
        *,
        corpus_texts: Sequence[str] | None = None,
        corpus_key: str = "text",
        index_dir: str | Path | None = None,
        embedding_serving: EmbeddingServing | None = None,
        method: Method = "hybrid",
        top_k: int = 5,
        generate_answer: bool = True,
    ) -> None:
        if (corpus is None) == (corpus_texts is None):
            raise ValueError("RetrievalGenerator needs exactly one of corpus= or corpus_texts=")
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        self.generate_answer = generate_answer
        self.llm_serving: LLMServing | None = (
            (llm_serving or default_serving()) if generate_answer else None
        )
        self.system_prompt = system_prompt
        self.corpus = corpus
        self.corpus_texts = list(corpus_texts) if corpus_texts is not None else None
        self.corpus_key = corpus_key
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.method = method
        self.embedding_serving = (
            None if method == "bm25" else (embedding_serving or default_embedding_serving())
        )
        self.top_k = top_k
        self._index: RetrievalIndex | None = None
        self._lock = anyio.Lock()

    async def index(self) -> RetrievalIndex:
        """The index, built (or loaded) on first use."""
        async with self._lock:
            if self._index is None:
                if self.corpus_texts is not None:
                    texts = self.corpus_texts
                    ids = [str(i) for i in range(len(texts))]
                else:
                    assert self.corpus is not None
                    corpus, key = self.corpus, self.corpus_key
                    ids, texts = await anyio.to_thread.run_sync(lambda: read_corpus(corpus, key))
                self._index = await RetrievalIndex.open(
                    ids,
                    texts,
                    method=self.method,
                    embedder=self.embedding_serving,
                    directory=self.index_dir,
                )
            return self._index

    async def process(
        self,
        rows: list[Row],
        input_key: str = "raw_content",
        output_key: str = "generated_content",
        output_passages_key: str | None = "retrieved_passages",
    ) -> list[Row | Failure]:
        index = await self.index()
        queries = [row.get(input_key) for row in rows]
        good = [i for i, q in enumerate(queries) if isinstance(q, str) and q.strip()]
        vectors: Any = None
        if self.embedding_serving is not None and good:
            vectors = await self.embedding_serving.embed(
                [str(queries[i]) for i in good], kind="query"
            )
        hits: dict[int, list[Any]] = {}
        for k, i in enumerate(good):
            vector = vectors[k] if vectors is not None else None
            hits[i] = index.search(str(queries[i]), vector, self.top_k)
        contexts = {
            i: "\n\n".join(f"[{n + 1}] {h.text}" for n, h in enumerate(found))
            for i, found in hits.items()
        }
        answers: dict[int, Any] = {}
        if self.generate_answer and self.llm_serving is not None:
            prompts = [ANSWER_PROMPT.format(passages=contexts[i], query=queries[i]) for i in good]
            for i, answer in zip(
                good,
                await ask_each(self.llm_serving, prompts, system_prompt=self.system_prompt),
                strict=True,
            ):
                answers[i] = answer
        out: list[Row | Failure] = []
        for i, row in enumerate(rows):
            if i not in hits:
                out.append(Failure(f"field {input_key!r} holds no query"))
                continue
            answer = answers.get(i, contexts[i]) if self.generate_answer else contexts[i]
            if isinstance(answer, Failure):
                out.append(answer)
                continue
            new = {**row, output_key: answer}
            if output_passages_key is not None:
                new[output_passages_key] = [
                    {"id": h.id, "text": h.text, "score": round(h.score, 6)} for h in hits[i]
                ]
            out.append(new)
        return out
