"""CCNetParagraphDeduplicateRefiner: repeated lines leave later documents, state survives runs."""

from __future__ import annotations

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.text_pt import CCNetParagraphDeduplicateRefiner
from streamflow.testing import apply

MENU = "Home | News | Contact"
FOOTER = "© 2024 Aldermoor Gazette. All rights reserved."


def page(*lines: str) -> dict[str, str]:
    return {"text": "\n".join(lines)}


def test_boilerplate_seen_before_leaves_later_pages():
    rows = [
        page(MENU, "The lighthouse was lit in 1851.", "", FOOTER),
        page(MENU, "The breakwater is 412 metres long.", "", FOOTER.replace("2024", "2025")),
        page("home | news | contact", "Tides turn twice a day.", "Tides turn twice a day."),
    ]
    out = apply(CCNetParagraphDeduplicateRefiner(), rows, input_key="text")
    assert [r["text"] for r in out.batch.rows] == [
        rows[0]["text"],  # the first page keeps everything
        "The breakwater is 412 metres long.",  # the year is a digit: the footer matches
        "Tides turn twice a day.",  # case-folded menu, and the line repeated within the page
    ]


def test_blank_and_short_lines_stay_and_output_key_keeps_the_input():
    rows = [page("ok", "A first line here."), page("ok", "", "", "A first line here.", "new")]
    op = CCNetParagraphDeduplicateRefiner(min_length=3)
    out = apply(op, rows, input_key="text", output_key="deduped")
    assert [r["text"] for r in out.batch.rows] == [r["text"] for r in rows]
    assert out.batch.rows[1]["deduped"] == "ok\n\n\nnew"
    assert out.batch.rows[0]["deduped"] == rows[0]["text"]


def test_a_page_made_only_of_seen_lines_becomes_empty():
    rows = [page(MENU, FOOTER), page(FOOTER, MENU)]
    out = apply(CCNetParagraphDeduplicateRefiner(), rows, input_key="text")
    assert out.batch.rows[1]["text"] == ""


def test_bad_configuration_and_input_are_named():
    with pytest.raises(ValueError, match="bit_length"):
        CCNetParagraphDeduplicateRefiner(12)
    with pytest.raises(ValueError, match="min_length"):
        CCNetParagraphDeduplicateRefiner(min_length=-1)
    with pytest.raises(KeyError, match="CCNetParagraphDeduplicateRefiner"):
        apply(CCNetParagraphDeduplicateRefiner(), [{"body": "x"}], input_key="text")


def test_a_replayed_row_finds_the_lines_it_owns():
    op = CCNetParagraphDeduplicateRefiner()
    rows = [page(MENU, "Alpha", "Alpha"), page(MENU, "Beta")]
    first = apply(op, rows, ids=["a", "b"], input_key="text").batch.rows
    again = apply(op, rows, ids=["a", "b"], input_key="text").batch.rows  # as after a crash
    assert first == again and [r["text"] for r in first] == [f"{MENU}\nAlpha", "Beta"]


def test_an_incremental_run_removes_the_earlier_runs_lines(chain, tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "out.jsonl"
    first = write_jsonl(tmp_path / "a.jsonl", [page(MENU, "Alpha"), page(MENU, "Beta")])
    second = write_jsonl(tmp_path / "b.jsonl", [page(MENU, "Gamma", FOOTER), page(FOOTER)])
    steps = [(CCNetParagraphDeduplicateRefiner(), {"input_key": "text"})]
    chain(steps, entry_file=first, output_file=out, run_dir=run_dir).run()
    chain(steps, entry_file=second, output_file=out, run_dir=run_dir).run()
    expected = [f"{MENU}\nAlpha", "Beta", f"Gamma\n{FOOTER}", ""]
    assert [r["text"] for r in read_jsonl(out)] == expected
