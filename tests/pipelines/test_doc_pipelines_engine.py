"""The document pipelines on the real embedded engine (SmolLM2): every row is accounted for.

A 135M model rarely writes usable JSON, so these assert what must hold whatever it writes: the
run completes, requests reach the engine, and every row the LLM steps received left them as a
result, a drop with its reason, or a dead letter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import read_jsonl

from streamflow.operators.core_text.retrieval_generator import RetrievalGenerator
from streamflow.pipelines.agentic_rag import AgenticRAGPipeline
from streamflow.pipelines.pdf_vqa_extract import PdfVQAExtractPipeline
from streamflow.pipelines.text2qa import Text2QAPipeline

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]


def accounted(result) -> None:
    for stats in result.stats.operators:
        if stats.name in ("source", "sink") or stats.rows_in == 0:
            continue
        if stats.kind == "row_generator":
            continue  # 1 -> N: its out count is not its in count
        assert stats.rows_in == stats.rows_out + stats.dropped + stats.failed, stats.name


async def test_text2qa_on_the_engine(tmp_path: Path, vllm_serving) -> None:
    result = await Text2QAPipeline(vllm_serving, num_samples=2, question_num=1).arun(
        output=tmp_path / "qa.jsonl", run_dir=tmp_path / "run"
    )
    generate = next(s for s in result.stats.operators if s.name == "Text2QAGenerator")
    assert generate.requests >= 2 and generate.rows_in == 2
    accounted(result)
    for row in read_jsonl(tmp_path / "qa.jsonl"):
        assert row["generated_question"] and 1 <= row["question_quality_grades"] <= 5


async def test_agentic_rag_on_the_engine(tmp_path: Path, vllm_serving) -> None:
    result = await AgenticRAGPipeline(vllm_serving, max_per_task=2).arun(
        output=tmp_path / "tasks.jsonl", run_dir=tmp_path / "run"
    )
    tasks = next(s for s in result.stats.operators if s.name == "AgenticRAGAtomicTaskGenerator")
    assert tasks.rows_in == 4 and tasks.requests >= 8  # identifier and conclusions per document
    assert tasks.dropped + tasks.failed + (tasks.rows_out > 0) >= 1
    for row in read_jsonl(tmp_path / "tasks.jsonl"):
        assert 0.0 <= row["F1Score"] <= 1.0


async def test_pdf_vqa_extract_on_the_engine(tmp_path: Path, vllm_serving) -> None:
    result = await PdfVQAExtractPipeline(
        vllm_serving, work_dir=str(tmp_path / "work"), max_chunk_len=600
    ).arun(output=tmp_path / "vqa.jsonl", run_dir=tmp_path / "run")
    extract = next(s for s in result.stats.operators if s.name == "ChunkedPromptedGenerator")
    assert extract.rows_in == 1 and extract.requests >= 1
    accounted(result)


async def test_retrieval_answers_with_the_engine(tmp_path: Path, vllm_serving) -> None:
    op = RetrievalGenerator(
        vllm_serving,
        corpus_texts=[
            "The Aldermoor lighthouse was first lit on 3 November 1851.",
            "Herring is smoked on the quay of Aldermoor.",
        ],
        method="bm25",
        top_k=1,
    )
    (row,) = await op.process([{"raw_content": "When was the Aldermoor lighthouse first lit?"}])
    assert row["generated_content"].strip()
    assert row["retrieved_passages"][0]["text"].startswith("The Aldermoor lighthouse")
