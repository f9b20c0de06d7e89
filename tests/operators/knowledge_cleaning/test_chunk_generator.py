"""Chunking: coverage, size limit, headings, overlap, pages; chunks as rows and as files."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from streamflow.io.documents.markdown import join_pages, split_pages
from streamflow.operators.knowledge_cleaning.chunk_generator import (
    KBCChunkGenerator,
    KBCChunkGeneratorBatch,
)
from streamflow.operators.knowledge_cleaning.chunking import WordTokenizer, chunk_markdown
from streamflow.testing import apply

WORDS = WordTokenizer()


def document() -> str:
    sections = []
    for n in range(1, 5):
        body = " ".join(f"Section {n} sentence {k} tells fact {n * 100 + k}." for k in range(60))
        sections.append((n, f"# Part {n}\n\n{body}\n\nClosing paragraph of part {n}."))
    return join_pages(sections)


def covered(text: str, chunks: list) -> None:
    """Every token of the text lies inside some chunk, and chunks are exact slices."""
    marks = [False] * len(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        for i in range(chunk.start, chunk.end):
            marks[i] = True
    for start, end in WORDS.spans(text):
        assert all(marks[start:end]), text[start:end]


@pytest.mark.parametrize(("size", "overlap"), [(64, 8), (120, 0), (512, 50), (1000, 100)])
def test_chunks_cover_the_text_within_the_size_limit(size: int, overlap: int) -> None:
    markdown = document()
    text, _ = split_pages(markdown)
    chunks = chunk_markdown(markdown, WORDS, chunk_size=size, chunk_overlap=overlap, min_tokens=20)
    covered(text, chunks)
    assert all(len(WORDS.spans(c.text)) == c.tokens <= size for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_headings_start_chunks_and_pages_are_known() -> None:
    chunks = chunk_markdown(document(), WORDS, chunk_size=2000, chunk_overlap=50, min_tokens=20)
    assert [c.text.splitlines()[0] for c in chunks] == [f"# Part {n}" for n in range(1, 5)]
    assert [(c.page_start, c.page_end, c.heading) for c in chunks] == [
        (n, n, f"Part {n}") for n in range(1, 5)
    ]


def test_windows_overlap_inside_a_section() -> None:
    chunks = chunk_markdown(document(), WORDS, chunk_size=100, chunk_overlap=10, min_tokens=20)
    same_section = [(a, b) for a, b in itertools.pairwise(chunks) if not b.text.startswith("#")]
    assert same_section
    for a, b in same_section:
        assert b.start < a.end  # the next window repeats the end of the previous one


def test_rows_per_chunk_from_text_or_file(tmp_path: Path) -> None:
    markdown = document()
    (tmp_path / "doc.md").write_text(markdown)
    op = KBCChunkGenerator(chunk_size=200, chunk_overlap=20, min_tokens_per_chunk=20)
    by_text = apply(
        op, [{"text": markdown, "title": "t"}], ids=["d"], input_text_key="text", input_key=None
    )
    by_path = apply(op, [{"text_path": str(tmp_path / "doc.md")}], ids=["d"])
    assert by_text.batch.ids == [f"d/{k}" for k in range(len(by_text.batch))]
    assert [r["raw_chunk"] for r in by_text.batch.rows] == [
        r["raw_chunk"] for r in by_path.batch.rows
    ]
    first = by_text.batch.rows[0]
    assert first["title"] == "t" and first["chunk_meta"]["page_start"] == 1
    assert first["chunk_meta"]["heading"] == "Part 1"
    missing = apply(op, [{"text_path": str(tmp_path / "absent.md")}])
    assert "absent.md" in missing.failed[0][2]


def test_batch_variant_writes_chunk_files(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(document())
    op = KBCChunkGeneratorBatch(chunk_size=300, chunk_overlap=30, min_tokens_per_chunk=20)
    (row,) = apply(op, [{"text_path": str(tmp_path / "doc.md")}]).batch.rows
    assert row["chunk_path"] == str(tmp_path / "extract" / "doc_chunk.json")
    items = json.loads(Path(row["chunk_path"]).read_text())
    assert items[0]["raw_chunk"].startswith("# Part 1") and "chunk_meta" in items[0]


def test_only_token_splitting_is_offered() -> None:
    with pytest.raises(ValueError, match="split_method"):
        KBCChunkGenerator(split_method="semantic")
    with pytest.raises(ValueError, match="not downloaded"):
        KBCChunkGenerator(tokenizer_name="bert-base-uncased")
