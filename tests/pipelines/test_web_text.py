"""The web_text demo: on the sample pages shipped in the repository and on 110 real pages."""

from __future__ import annotations

from pathlib import Path

from helpers import read_jsonl

from streamflow.pipelines.web_text import SAMPLE_PAGES, WebTextPipeline


def test_sample_pages_keep_articles_and_drop_junk(tmp_path):
    out = tmp_path / "web.jsonl"
    result = WebTextPipeline().run(output=out, run_dir=tmp_path / "run")
    rows = read_jsonl(out)
    kept = {Path(r["path"]).stem for r in rows}
    assert "recipe_red_lentil_soup" in kept and "fr_marche_du_samedi" in kept
    # the junk pages and the duplicate article are dropped, each with a reason
    assert not kept & {"lorem_ipsum_template", "javascript_required_app", "nav_only_category"}
    assert not {"recipe_red_lentil_soup", "recipe_red_lentil_soup_print"} <= kept
    reasons = {d.id: d for d in result.dropped.records()}
    assert len(reasons) == len(list(SAMPLE_PAGES.glob("*.html"))) - len(rows)
    dedup = [d for d in reasons.values() if d.operator == "HashDeduplicateFilter"]
    assert len(dedup) == 1 and dedup[0].reason.startswith("duplicate of ")
    assert all("html" not in r and r["text"].strip() for r in rows)
    # the ISO-8859-1 page decodes
    french = next(r for r in rows if "fr_marche" in r["path"])
    assert "é" in french["text"] and "\ufffd" not in french["text"]


def test_real_web_pages(tmp_path, shared_data):
    pages = shared_data / "web-pages"
    out = tmp_path / "web.jsonl"
    result = WebTextPipeline().run(input=str(pages / "*.html"), output=out)
    rows = read_jsonl(out)
    total = len(list(pages.glob("*.html")))
    assert result.stats.source.rows_out == total
    assert result.dead_letters.count == 0
    assert 0 < len(rows) < total
    assert result.stats.dropped == total - len(rows)
    names = {Path(r["path"]).name for r in rows}
    assert len(names) == len(rows)  # a page is never written twice
    assert all(len(r["text"].split()) >= 20 for r in rows)  # WordNumberFilter's minimum
