"""CiderSampleEvaluator: equal to the COCO caption evaluation's CIDEr-D (pycocoevalcap), and to
its formula on a case computed by hand."""

from __future__ import annotations

import math
import pickle
from collections import defaultdict
from pathlib import Path

import pytest

from streamflow.operators.general_text.cider import (
    CiderSampleEvaluator,
    cider_scores,
    load_document_frequencies,
    save_document_frequencies,
)
from streamflow.testing import apply

CORPUS = [
    (
        "a man riding a horse on a beach",
        ["a man rides a horse along the beach", "a person on a horse at the sea"],
    ),
    (
        "two dogs playing in the snow",
        ["two dogs play in snow", "a pair of dogs running through snow"],
    ),
    ("a plate of food with broccoli", ["a plate with broccoli and rice", "food on a white plate"]),
    ("a man riding a bike", ["a man rides a bicycle down the street", "a cyclist on a road"]),
    ("a cat sleeping on a couch", ["a cat asleep on the sofa", "a kitten lying on a couch"]),
]


def test_equals_pycocoevalcap_over_a_corpus() -> None:
    cider = pytest.importorskip("pycocoevalcap.cider.cider")
    gts = {i: refs for i, (_, refs) in enumerate(CORPUS)}
    res = {i: [hyp] for i, (hyp, _) in enumerate(CORPUS)}
    mean, per_image = cider.Cider().compute_score(gts, res)
    rows = [{"g": hyp, "r": refs} for hyp, refs in CORPUS]
    out = apply(
        CiderSampleEvaluator(df_mode="corpus"), rows, input_key="g", input_reference_key="r"
    )
    got = [row["CiderScore"] for row in out.batch.rows]
    assert got == pytest.approx(list(per_image), abs=1e-12)
    assert sum(got) / len(got) == pytest.approx(mean)


def test_hand_computed_case() -> None:
    # two rows, one reference each; n=1 (unigrams), so no bigram length penalty
    hyps = ["a b", "c"]
    refs = [["a b"], ["c c"]]
    # df: a, b -> 1, c -> 1; N = 2: every weight is tf * log 2
    # row 0: h = r = (log2, log2): min(h,r)*r / (|h||r|) = 1 -> 10 * 1
    # row 1: h = (log2), r = (2 log2): min = log2, * 2log2 / (log2 * 2log2) = 1 -> 10
    assert cider_scores(hyps, refs, n=1) == pytest.approx([10.0, 10.0])
    # with a third row that holds "a", a's weight drops to log(3/2): row 0's hypothesis "a d"
    scores = cider_scores(["a d", "c", "a"], [["a b"], ["c"], ["a"]], n=1)
    w_a, w_b, w_d = math.log(3) - math.log(2), math.log(3), math.log(3)
    expected = w_a * w_a / (math.hypot(w_a, w_d) * math.hypot(w_a, w_b)) * 10
    assert scores[0] == pytest.approx(expected)


def test_frequency_files(tmp_path: Path) -> None:
    refs = [r for _, r in CORPUS]
    path = tmp_path / "df.json"
    save_document_frequencies(refs, path)
    op = CiderSampleEvaluator(idf_path=str(path))
    rows = [{"g": hyp, "r": r} for hyp, r in CORPUS]
    by_file = [
        r["CiderScore"]
        for r in apply(
            op, [dict(x) for x in rows], input_key="g", input_reference_key="r"
        ).batch.rows
    ]
    corpus = CiderSampleEvaluator(df_mode="corpus")
    # the whole corpus, fed one row at a time, scores as the corpus does when the file holds it
    one_by_one = [
        apply(op, [dict(x)], input_key="g", input_reference_key="r").batch.rows[0]["CiderScore"]
        for x in rows
    ]
    in_one_batch = [
        r["CiderScore"]
        for r in apply(
            corpus, [dict(x) for x in rows], input_key="g", input_reference_key="r"
        ).batch.rows
    ]
    assert by_file == pytest.approx(in_one_batch) and one_by_one == pytest.approx(in_one_batch)
    # COCO's pickle format: {"df": defaultdict(float, {ngram: count}), "ref_len": N}
    df, n_rows = load_document_frequencies(path)
    coco = tmp_path / "coco-val-df.p"
    coco.write_bytes(pickle.dumps({"df": defaultdict(float, df), "ref_len": n_rows}, protocol=2))
    assert load_document_frequencies(coco) == (df, n_rows)
    evil = tmp_path / "evil.p"
    evil.write_bytes(pickle.dumps({"df": {}, "ref_len": Path("/")}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_document_frequencies(evil)


def test_missing_frequency_file_is_explained() -> None:
    with pytest.raises(FileNotFoundError, match=r"coco-val-df\.p"):
        CiderSampleEvaluator(idf_path="/nonexistent/df.p")
