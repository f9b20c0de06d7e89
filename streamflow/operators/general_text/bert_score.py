"""BERTScore of a text against its reference(s) (DataFlow's ``BertSampleEvaluator``): the F1 of
greedy cosine matching between the contextual token embeddings of the two texts, computed by the
``bert-score`` package (extra ``models``) on the chosen device.

DataFlow loads ``distilbert-base-uncased`` through the hub (``evaluate``); that is still the
default, and works where the hub or its cache is reachable. Nothing downloads on a machine
without it: pass ``model_type`` = a local model directory, or
``"sentence-transformers/all-MiniLM-L6-v2"``, whose files ship in a package. ``num_layers`` is
the layer whose outputs are compared: bert-score's tuned choice for the models it knows (5 for
distilbert-base-uncased), else the model's last layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from streamflow.actors.base import SampleEvaluator
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._models import (
    in_model_thread,
    pick_device,
    resolve_model,
)
from streamflow.operators.general_text.bleu import references_of
from streamflow.rows import Row

__all__ = ["BertSampleEvaluator"]


def _layers(model_dir: str) -> int | None:
    """The number of hidden layers in a local model's ``config.json`` (None if not local)."""
    config = Path(model_dir) / "config.json"
    if not config.is_file():
        return None
    data = json.loads(config.read_text(encoding="utf-8"))
    layers = data.get("num_hidden_layers", data.get("n_layers", data.get("n_layer")))
    return int(layers) if layers is not None else None


class BertSampleEvaluator(SampleEvaluator):
    """Writes the BERTScore F1 of ``input_key`` against ``input_reference_key`` (a string or a
    list of strings, scored against the best) to ``output_key``.

    DataFlow's ``lang`` and ``model_cache_dir`` (kept for compatibility: the hub's cache is
    used); ``model_type``, ``num_layers``, ``idf``, ``rescale_with_baseline`` (DataFlow fixes
    them to distilbert-base-uncased, its layer, False, False), ``batch_size`` and ``device``
    (the CPU when no GPU is there) are ours.
    """

    expensive: ClassVar[bool] = True

    def __init__(
        self,
        lang: str = "en",
        model_cache_dir: str = "./dataflow_cache",
        model_type: str = "distilbert-base-uncased",
        num_layers: int | None = None,
        idf: bool = False,
        rescale_with_baseline: bool = False,
        batch_size: int = 64,
        device: str = "cuda",
    ) -> None:
        bert_score = require("bert_score", "models")
        self.lang = lang
        self.model_cache_dir = model_cache_dir
        self.model_type = model_type
        self.device = pick_device(device)
        path = resolve_model(model_type)
        if num_layers is None and model_type not in bert_score.utils.model2layers:
            num_layers = _layers(path)
        try:
            self.scorer: Any = bert_score.BERTScorer(
                model_type=path,
                num_layers=num_layers,
                lang=lang,
                idf=idf,
                rescale_with_baseline=rescale_with_baseline,
                batch_size=batch_size,
                device=self.device,
            )
        except OSError as exc:
            raise OSError(
                f"{self.name}: cannot load {model_type!r} ({exc}); without the model hub pass "
                "model_type= a local model directory or 'sentence-transformers/all-MiniLM-L6-v2' "
                "(packaged)"
            ) from exc

    def process(
        self,
        rows: list[Row],
        input_key: str = "generated_text",
        input_reference_key: str = "reference_text",
        output_key: str = "BertScore",
    ) -> list[Row]:
        candidates = [text_field(self.name, row, input_key) for row in rows]
        references = [references_of(self.name, row, input_reference_key) for row in rows]
        _, _, f1 = in_model_thread(
            lambda: self.scorer.score(candidates, references, batch_size=self.scorer.batch_size)
        )
        for row, value in zip(rows, f1.tolist(), strict=True):
            row[output_key] = float(value)
        return rows
