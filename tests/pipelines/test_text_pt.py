"""The pre-training text pipelines: text_pt_filter (rules), text_pt_filter_models (language and
a model quality filter), text_pt_synthetic (rewrite as QA) and bench_eval."""

from __future__ import annotations

import collections
import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.web import HtmlTextExtractor
from streamflow.pipelines.bench_eval import SAMPLE as BENCH_SAMPLE
from streamflow.pipelines.bench_eval import BenchEvalPipeline
from streamflow.pipelines.text_pt_filter import SAMPLE, TextPTFilterPipeline
from streamflow.pipelines.text_pt_filter_models import TextPTFilterModelsPipeline
from streamflow.pipelines.text_pt_synthetic import TextPTSyntheticPipeline
from streamflow.testing import ScriptedServing

# Each junk document of the sample and the filter that must drop it (the six others are kept).
EXPECTED_DROPS = {
    "The water cycle describes how water moves between the oceans,  the air": "MinHash",
    "Click here.": "WordNumberFilter",
    "Lorem ipsum": "LoremIpsumFilter",
    "This report is Confidential": "WatermarkFilter",
    "Please enable JavaScript": "CurlyBracketFilter",
    "- Home": "SentenceNumberFilter",
    "BUY NOW": "CapitalWordsFilter",
    "Visit https://example.com": "HtmlEntityFilter",
}


def sample_rows() -> list[dict[str, str]]:
    return read_jsonl(SAMPLE / "pt_input.jsonl")


def test_text_pt_filter_keeps_the_prose_and_says_why_each_page_went(tmp_path):
    out = tmp_path / "kept.jsonl"
    result = TextPTFilterPipeline().run(output=out, run_dir=tmp_path / "run")
    kept = read_jsonl(out)
    sample = sample_rows()
    assert len(kept) == len(sample) - len(EXPECTED_DROPS) == 6
    assert not any(k["raw_content"].startswith(tuple(EXPECTED_DROPS)) for k in kept)
    by_id = {r.id: r for r in result.dropped.records()}
    assert len(by_id) == len(EXPECTED_DROPS) and result.dead_letters.count == 0
    dropped_by = sorted(r.operator for r in by_id.values())
    assert [d for d in dropped_by if d.startswith("MinHash")] == ["MinHashDeduplicateFilter"]
    assert sorted(v for v in EXPECTED_DROPS.values() if v != "MinHash") == sorted(
        d for d in dropped_by if not d.startswith("MinHash")
    )
    assert "🌊" not in json.dumps(kept, ensure_ascii=False)  # the refiners ran
    # 3 refiners, MinHash, blocklist, word count and 17 rule filters
    assert len(TextPTFilterPipeline().compile().steps) == 23


def test_text_pt_filter_on_real_web_pages(tmp_path, shared_data: Path):
    pages = sorted((shared_data / "web-pages").glob("*.html"))
    if not pages:
        pytest.skip("no web pages")
    html = [{"html": p.read_text(encoding="utf-8", errors="replace")} for p in pages]
    texts = HtmlTextExtractor().process(html)
    src = write_jsonl(tmp_path / "pages.jsonl", [{"raw_content": t["text"]} for t in texts])
    out = tmp_path / "kept.jsonl"
    result = TextPTFilterPipeline().run(input=src, output=out, run_dir=tmp_path / "run")
    kept = read_jsonl(out)
    dropped = collections.Counter(r.operator for r in result.dropped.records())
    print(f"\n{len(pages)} pages: {len(kept)} kept; dropped by filter: {dict(dropped)}")
    assert len(kept) + sum(dropped.values()) + result.dead_letters.count == len(pages)
    assert 0 < len(kept) < len(pages)
    assert all(len(k["raw_content"].split()) >= 20 for k in kept)


def test_text_pt_filter_models_with_perplexity_on_the_embedded_model(tmp_path, smollm2_dir):
    pytest.importorskip("transformers")
    out = tmp_path / "kept.jsonl"
    pipeline = TextPTFilterModelsPipeline(quality_model=str(smollm2_dir), max_quality=60)
    assert type(pipeline.language_filter).__name__ == "LanguageFilter"
    result = pipeline.run(output=out, run_dir=tmp_path / "run")
    kept = read_jsonl(out)
    assert kept and all(1 <= r["PerplexityScore"] <= 60 for r in kept)
    operators = collections.Counter(r.operator for r in result.dropped.records())
    # the six prose documents pass the language and rule filters and reach the model
    assert len(kept) + operators["PerplexityFilter"] == 6


def test_text_pt_filter_models_rejects_an_unknown_quality_filter():
    with pytest.raises(ValueError, match="quality_filter"):
        TextPTFilterModelsPipeline(quality_filter="vibes")  # type: ignore[arg-type]


def test_text_pt_synthetic_rewrites_the_kept_documents(tmp_path):
    serving = ScriptedServing(lambda p: "Question: What is it about? Answer: Science.")
    out = tmp_path / "qa.jsonl"
    TextPTSyntheticPipeline(serving).run(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    assert len(rows) == 6 and len(serving.requests) == 6
    assert all(r["generated_content"].startswith("Question:") for r in rows)
    # each kept document was asked about once (requests go out in completion order)
    assert all(sum(r["raw_content"] in p for p in serving.prompts) == 1 for r in rows)


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="session")
async def test_text_pt_synthetic_on_the_real_engine(tmp_path, vllm_serving, monkeypatch):
    # the session engine answers at most 64 tokens; a Q/A rewrite needs more (a cut-off answer
    # would fail its row, as it should)
    monkeypatch.setattr(vllm_serving, "params", replace(vllm_serving.params, max_tokens=384))
    out = tmp_path / "qa.jsonl"
    pipeline = TextPTSyntheticPipeline(vllm_serving)
    result = await pipeline.arun(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    assert len(rows) == 6 and result.dead_letters.count == 0
    assert all(r["generated_content"].strip() for r in rows)
    print("\n" + rows[0]["generated_content"][:400])


def test_bench_eval_scores_the_sample(tmp_path):
    answers = {"12 times 7": "84", "half of 3": "It is 1.5", "capital of France": "Lyon"}

    def answer(prompt: str) -> str:
        return next((a for q, a in answers.items() if q in prompt), "I do not know")

    stats = tmp_path / "stats.json"
    pipeline = BenchEvalPipeline(ScriptedServing(answer), eval_result_path=str(stats))
    out = tmp_path / "scored.jsonl"
    result = pipeline.run(output=out)
    rows = read_jsonl(out)
    assert len(rows) == len(read_jsonl(BENCH_SAMPLE / "bench_input.jsonl")) == 8
    scores = {r["question"]: r["eval_score"] for r in rows}
    assert scores["What is 12 times 7?"] == 1.0
    assert scores["What is half of 3?"] == 1.0  # 1.5 = 3/2
    assert scores["What is the capital of France?"] == 0.0
    report = result.reports["UnifiedBenchDatasetEvaluator"]
    assert report["accuracy"] == pytest.approx(2 / 8) and report["valid_samples"] == 8
    assert json.loads(stats.read_text())[0]["accuracy"] == report["accuracy"]
