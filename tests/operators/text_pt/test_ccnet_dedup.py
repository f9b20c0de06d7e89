"""CCNet deduplication: the normalisation on written examples, the hash, and the run store."""

from __future__ import annotations

import hashlib

import pytest
from helpers import read_jsonl, write_jsonl

from streamflow.operators.text_pt import CCNetDeduplicateFilter
from streamflow.operators.text_pt.ccnet_dedup import normalize_for_dedup, sha1_hash
from streamflow.testing import apply


@pytest.mark.parametrize(
    ("line", "normalized"),
    [
        ("  Page 12 of 40  ", "page 00 of 00"),
        ("Chapter ３ — “Intro”…", "chapter 0  intro"),  # full-width 3 is a digit; no re-spacing
        ("Hello, World!", "hello, world!"),  # ASCII punctuation stays, as in CCNet
        ("tab\there\x00", "tabhere"),  # control characters go
        ("   ", ""),
        ("你好，世界。", "你好世界"),
    ],
)
def test_normalize_for_dedup(line, normalized):
    assert normalize_for_dedup(line) == normalized


def test_sha1_hash_is_ccnets():
    digest = hashlib.sha1(b"hello world").digest()
    assert sha1_hash(b"hello world", 64) == int.from_bytes(digest[:8], "little")
    assert sha1_hash(b"hello world", 32) == int.from_bytes(digest[:4], "little")


def test_filter_drops_normalised_duplicates_and_names_the_kept_row():
    rows = [
        {"text": "Page 1\nWelcome to the site."},
        {"text": "page 7\nwelcome to the site."},
        {"text": "Another page entirely."},
    ]
    out = apply(CCNetDeduplicateFilter(), [dict(r) for r in rows], input_key="text")
    assert [r["text"] for r in out.batch.rows] == [rows[0]["text"], rows[2]["text"]]
    assert out.batch.rows[0]["minhash_deduplicated_label"] == 1
    assert out.dropped[0].reason.startswith("duplicate of row:0")
    raw = apply(CCNetDeduplicateFilter(normalize=False), [dict(r) for r in rows], input_key="text")
    assert len(raw.batch.rows) == 3  # DataFlow's behaviour: the raw texts differ


def test_input_keys_and_bad_configuration():
    rows = [{"q": "a", "a": "b"}, {"q": "a", "a": "c"}, {"q": "a", "a": "b"}]
    out = apply(CCNetDeduplicateFilter(32), rows, input_keys=["q", "a"])
    assert len(out.batch.rows) == 2
    with pytest.raises(ValueError, match="bit_length"):
        CCNetDeduplicateFilter(12)
    with pytest.raises(ValueError, match="input_key"):
        apply(CCNetDeduplicateFilter(), rows)


def test_incremental_run_dedups_against_the_earlier_one(chain, tmp_path):
    run_dir, out = tmp_path / "run", tmp_path / "out.jsonl"
    first = write_jsonl(tmp_path / "a.jsonl", [{"text": "Alpha 1"}, {"text": "Beta"}])
    second = write_jsonl(tmp_path / "b.jsonl", [{"text": "alpha 2"}, {"text": "Gamma"}])
    steps = [(CCNetDeduplicateFilter(), {"input_key": "text"})]
    chain(steps, entry_file=first, output_file=out, run_dir=run_dir).run()
    result = chain(steps, entry_file=second, output_file=out, run_dir=run_dir).run()
    assert [r["text"] for r in read_jsonl(out)] == ["Alpha 1", "Beta", "Gamma"]
    assert len(result.dropped.records()) == 1
