"""kbcleaning: the sample with a scripted model; the three real PDFs with the embedded engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Chain, read_jsonl

from streamflow import Filter
from streamflow.io.documents.markdown import split_pages
from streamflow.operators.knowledge_cleaning.chunk_generator import KBCChunkGenerator
from streamflow.operators.knowledge_cleaning.chunking import WordTokenizer
from streamflow.operators.knowledge_cleaning.converters import FileOrURLToMarkdownConverterLocal
from streamflow.pipelines.kbcleaning import KBCleaningPipeline
from streamflow.testing import ScriptedServing

QA = {
    "question": "Why was the Aldermoor lamp converted in 1902?",
    "reasoning_steps": [{"step": "It burned whale oil."}, {"step": "The board converted it."}],
    "answer": "The board replaced whale oil with kerosene.",
    "supporting_facts": ["Its lamp burned whale oil until 1902"],
    "type": "history",
}


def scripted(prompt: str) -> str:
    if "<cleaned_start>" in prompt:  # the cleaning instruction: echo the raw text, cleaned
        raw = prompt.split("Raw text:\n", 1)[1]
        return f"<cleaned_start>\n{' '.join(raw.split())}\n<cleaned_end>"
    return json.dumps(QA)


def test_sample_runs_with_a_scripted_model(tmp_path: Path) -> None:
    llm = ScriptedServing(scripted)
    pipeline = KBCleaningPipeline(
        llm, intermediate_dir=str(tmp_path / "md"), chunk_size=120, chunk_overlap=10, num_q=2
    )
    result = pipeline.run(output=tmp_path / "qa.jsonl", run_dir=tmp_path / "run")
    rows = read_jsonl(tmp_path / "qa.jsonl")
    assert rows and result.dead_letters.count == 0
    assert all(r["QA_pairs"][0]["question"] == QA["question"] for r in rows)
    assert {r["chunk_meta"]["page_start"] for r in rows} >= {1, 2}
    assert all(r["cleaned_chunk"] and r["raw_chunk"] for r in rows)


def chunk_rows(tmp_path: Path, pdfs: list[Path], chunk_size: int) -> list[dict]:
    sources = tmp_path / "sources.jsonl"
    sources.write_text("".join(json.dumps({"source": str(p)}) + "\n" for p in pdfs))
    Chain(
        [
            (
                FileOrURLToMarkdownConverterLocal(str(tmp_path / "md"), engine="builtin"),
                {"input_key": "source", "output_key": "text_path"},
            ),
            (
                KBCChunkGenerator(chunk_size=chunk_size, chunk_overlap=20, min_tokens_per_chunk=50),
                {"input_key": "text_path", "output_key": "raw_chunk"},
            ),
        ],
        entry_file=str(sources),
        output_file=str(tmp_path / "chunks.jsonl"),
    ).run()
    return read_jsonl(tmp_path / "chunks.jsonl")


@pytest.mark.slow
def test_real_pdfs_chunks_cover_every_page_within_the_limit(
    tmp_path: Path, shared_data: Path
) -> None:
    pdfs = sorted((shared_data / "pdf").glob("*.pdf"))
    rows = chunk_rows(tmp_path, pdfs, chunk_size=200)
    words = WordTokenizer()
    for pdf in pdfs:
        mine = [r for r in rows if r["source"] == str(pdf)]
        text, pages = split_pages(Path(mine[0]["text_path"]).read_text())
        marks = bytearray(len(text))
        covered_pages: set[int] = set()
        for row in mine:
            meta = row["chunk_meta"]
            assert text[meta["start"] : meta["end"]] == row["raw_chunk"]
            assert len(words.spans(row["raw_chunk"])) == meta["tokens"] <= 200
            marks[meta["start"] : meta["end"]] = b"\x01" * (meta["end"] - meta["start"])
            covered_pages.update(range(meta["page_start"], meta["page_end"] + 1))
        missed = [text[s:e] for s, e in words.spans(text) if not all(marks[s:e])]
        assert not missed, (pdf.name, missed[:5])
        with_text = {pages.page_at(s) for s, _ in words.spans(text)}
        assert with_text == covered_pages == set(pages.numbers) - _blank(text, pages), pdf.name


def _blank(text: str, pages) -> set[int]:
    """Pages whose Markdown is empty (a blank page in the PDF)."""
    bounds = [*pages.starts, len(text)]
    return {
        n
        for n, s, e in zip(pages.numbers, bounds, bounds[1:], strict=False)
        if not text[s:e].strip()
    }


class EveryEighthChunk(Filter):
    """Keeps chunks 0, 8, 16, ... of each document: the LLM stages then see every document and
    every part of it, at an eighth of the requests (the chunks themselves are checked in full
    above)."""

    def process(self, rows, input_key):
        return [r[input_key]["index"] % 8 == 0 or (False, "sampled out") for r in rows]


class SampledKBCleaning(KBCleaningPipeline):
    def forward(self) -> None:
        self.convert.run(self.storage.step(), input_key="source", output_key="text_path")
        self.chunk.run(self.storage.step(), input_key="text_path", output_key="raw_chunk")
        self.sample.run(self.storage.step(), input_key="chunk_meta")
        self.clean.run(self.storage.step(), input_key="raw_chunk", output_key="cleaned_chunk")
        self.qa.run(
            self.storage.step(),
            input_key="cleaned_chunk",
            output_key="QA_pairs",
            output_meta_key="QA_metadata",
        )


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_real_pdfs_end_to_end_with_the_embedded_engine(
    tmp_path: Path, shared_data: Path, vllm_serving
) -> None:
    pdfs = sorted((shared_data / "pdf").glob("*.pdf"))
    sources = tmp_path / "sources.jsonl"
    sources.write_text("".join(json.dumps({"source": str(p)}) + "\n" for p in pdfs))
    pipeline = SampledKBCleaning(
        vllm_serving, intermediate_dir=str(tmp_path / "md"), chunk_size=200, num_q=1
    )
    pipeline.sample = EveryEighthChunk()
    # the session engine stops at 64 tokens: a cut-off cleaned chunk still holds facts to ask
    # about, and the QA generator reads the pairs a cut-off JSON answer completed
    pipeline.clean.accept_truncated_answers()
    pipeline.qa.accept_truncated_answers()
    result = await pipeline.arun(
        input=sources, output=tmp_path / "qa.jsonl", run_dir=tmp_path / "run"
    )
    rows = read_jsonl(tmp_path / "qa.jsonl")
    assert rows, "no QA rows"
    assert all(r["QA_pairs"][0]["question"].strip() for r in rows)
    assert all(r["QA_pairs"][0]["answer"].strip() for r in rows)
    stats = {s.name: s for s in result.stats.operators}
    assert stats["FileOrURLToMarkdownConverterLocal"].rows_out == 3
    sampled = stats["EveryEighthChunk"].rows_out
    assert stats["KBCTextCleaner"].rows_in == sampled > 0
    assert {r["source"] for r in rows} <= {str(p) for p in pdfs}
    assert result.dead_letters.count <= sampled // 10  # context too long for a rare huge chunk
    assert stats["KBCTextCleaner"].truncated > 0  # kept, and counted
