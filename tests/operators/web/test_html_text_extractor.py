"""HtmlTextExtractor: main text of real and small pages, empty pages, options, process pool."""

from __future__ import annotations

import multiprocessing
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from streamflow.operators.registry import OPERATORS
from streamflow.operators.web import HtmlTextExtractor

ARTICLE = """<html><head><title>Site | Big news</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article><h1>Big news</h1>
<p>Streaming pipelines prepare training data for language models one batch at a time, so the
memory they need stays bounded however large the <a href="https://ex.org/c">web crawl</a> is.</p>
<ul><li>first point of the list</li><li>second point of the list</li></ul></article>
<footer>Copyright 2024 Example Corp, all rights reserved</footer></body></html>"""


def pages(data: Path) -> list[tuple[str, str]]:
    folder = data / "web-pages"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return [
        (p.name, p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(folder.glob("*.html"))
    ]


def test_registered_as_process_generator() -> None:
    info = OPERATORS.info("HtmlTextExtractor")
    assert (info.kind, info.domain, info.executor) == ("generator", "web", "process")
    assert [(k.name, k.default) for k in info.keys] == [
        ("input_key", "'html'"),
        ("output_key", "'text'"),
        ("output_title_key", "None"),
    ]


def test_main_text_without_boilerplate() -> None:
    [row] = HtmlTextExtractor().process([{"html": ARTICLE, "url": "u"}], output_title_key="title")
    assert row["url"] == "u" and row["html"] == ARTICLE
    assert "memory they need stays bounded" in row["text"]
    assert "second point of the list" in row["text"]
    assert "About us" not in row["text"] and "Copyright" not in row["text"]
    assert "<" not in row["text"] and "https://" not in row["text"]
    assert row["title"] == "Big news"


def test_markdown_with_links() -> None:
    op = HtmlTextExtractor(output_format="markdown", include_links=True)
    [row] = op.process([{"page": ARTICLE}], input_key="page", output_key="md")
    assert row["md"].startswith("# Big news")
    assert "[web crawl](https://ex.org/c)" in row["md"]
    assert "- first point of the list" in row["md"]


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>", "<div><p>hi</p></div>"])
def test_page_without_main_text_gives_empty_string(html: str) -> None:
    [row] = HtmlTextExtractor().process([{"html": html}], output_title_key="title")
    assert row["text"] == "" and row["title"] == ""


def test_errors() -> None:
    op = HtmlTextExtractor()
    with pytest.raises(KeyError, match=r"HtmlTextExtractor.*'html'"):
        op.process([{"body": ARTICLE}])
    with pytest.raises(TypeError, match=r"HtmlTextExtractor.*'html'.*bytes"):
        op.process([{"html": ARTICLE.encode()}])
    with pytest.raises(ValueError, match="output_format"):
        HtmlTextExtractor(output_format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exclude each other"):
        HtmlTextExtractor(favor_precision=True, favor_recall=True)


def test_runs_in_a_spawned_process_pool() -> None:
    op = pickle.loads(pickle.dumps(HtmlTextExtractor(output_format="markdown")))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        [row] = pool.submit(op.process, [{"html": ARTICLE}]).result(timeout=120)
    assert row["text"].startswith("# Big news")


def test_real_pages_mostly_give_text(shared_data: Path) -> None:
    corpus = pages(shared_data)
    out = HtmlTextExtractor().process([{"html": html} for _, html in corpus])
    texts = [r["text"] for r in out]
    assert all(isinstance(t, str) for t in texts)
    assert sum(len(t) > 200 for t in texts) >= 0.9 * len(texts)
    assert not any("<div" in t or "<script" in t for t in texts)


def test_chinese_page_keeps_its_script(shared_data: Path) -> None:
    html = dict(pages(shared_data)).get("chineselyrics4u.com.zhineng.html")
    if html is None:
        pytest.skip("the Chinese page is absent")
    [row] = HtmlTextExtractor().process([{"html": html}], output_title_key="title")
    assert len(re.findall(r"[\u4e00-\u9fff]", row["text"])) > 50
    assert "只能想念你" in row["title"]


def test_precision_and_recall_reach_trafilatura(shared_data: Path) -> None:
    rows = [{"html": html} for _, html in pages(shared_data)[:30]]
    precise = HtmlTextExtractor(favor_precision=True).process(rows)
    recall = HtmlTextExtractor(favor_recall=True).process(rows)
    assert sum(p["text"] != r["text"] for p, r in zip(precise, recall, strict=True)) >= 5


def test_trafilatura_is_needed_to_build_an_extractor(monkeypatch):
    """Not to import the module (tests/operators/test_registry.py checks that listing never
    imports trafilatura): a broken installation fails at construction, not in a batch."""
    import sys

    monkeypatch.setitem(sys.modules, "trafilatura", None)  # as if it were not installed
    with pytest.raises(ImportError, match="trafilatura"):
        HtmlTextExtractor()
