"""The DeBERTa-v3 quality classifier: NVIDIA's High / Medium / Low label for a document.

``nvidia/quality-classifier-deberta`` is not a transformers ``*ForSequenceClassification``
directory: it was saved with huggingface_hub's ``PyTorchModelHubMixin``. Its ``config.json``
names the backbone (``base_model``, DeBERTa-v3-base), the dropout and ``id2label``; its
``model.safetensors`` holds the backbone's weights under ``model.`` and a linear head under
``fc.``. The head reads the first token's hidden state; the label is the arg-max class.

Loading here builds the backbone from its configuration (no second download of the base
weights, which the checkpoint overwrites anyway) and loads the checkpoint strictly, so a file of
another shape fails with the reason. A directory holding an ordinary transformers sequence
classifier with ``id2label`` is accepted too.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from streamflow.actors.base import Filter, SampleEvaluator
from streamflow.extras import require
from streamflow.operators.text_pt._scoring import encode, texts_of, with_scores
from streamflow.operators.text_sft.model_scorer import (
    LoadedModel,
    ModelLoadError,
    ModelScorer,
    load_model,
    pick_device,
)
from streamflow.rows import Failure, Row

__all__ = ["DebertaV3Filter", "DebertaV3SampleEvaluator", "load_quality_classifier"]

DEFAULT_MODEL = "nvidia/quality-classifier-deberta"


def _model_file(name_or_path: str, filename: str, cache_dir: str | None) -> Path:
    """``filename`` of a local model directory, or of a hub repository (downloaded to
    ``cache_dir``, which needs the network)."""
    local = Path(name_or_path)
    if local.is_dir():
        return local / filename
    hub = require("huggingface_hub", "models")
    try:
        return Path(hub.hf_hub_download(name_or_path, filename, cache_dir=cache_dir))
    except Exception as exc:
        raise ModelLoadError(f"cannot load model {name_or_path!r}: {exc}") from exc


def load_quality_classifier(
    name_or_path: str, device: str | None, cache_dir: str | None
) -> LoadedModel:
    """The tokenizer and the classifier (a module returning class probabilities), in eval mode;
    the model's ``config.id2label`` names the classes."""
    config_file = _model_file(name_or_path, "config.json", cache_dir)
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read {config_file}: {exc}") from exc
    if "base_model" not in config:  # an ordinary transformers classifier
        return _ProbabilitiesOf.wrap(
            load_model("sequence_classification", name_or_path, device, cache_dir)
        )
    torch = require("torch", "models")
    transformers = require("transformers", "models")
    safetensors = require("safetensors.torch", "models")
    target = pick_device(device)
    try:
        backbone_config = transformers.AutoConfig.from_pretrained(
            config["base_model"], cache_dir=cache_dir
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(name_or_path, cache_dir=cache_dir)
        id2label = {int(k): str(v) for k, v in config["id2label"].items()}
        model = _quality_module(torch, transformers, backbone_config, config, len(id2label))
        weights = safetensors.load_file(
            str(_model_file(name_or_path, "model.safetensors", cache_dir))
        )
        model.load_state_dict(weights, strict=True)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ModelLoadError(f"cannot load model {name_or_path!r}: {detail}") from exc
    model.config = SimpleNamespace(
        id2label=id2label,
        max_position_embeddings=getattr(backbone_config, "max_position_embeddings", None),
    )
    model.to(target)
    model.eval()
    model.requires_grad_(False)
    return LoadedModel(tokenizer, model, target)


def _quality_module(
    torch: Any, transformers: Any, backbone_config: Any, config: dict[str, Any], labels: int
) -> Any:
    class QualityClassifier(torch.nn.Module):  # type: ignore[misc]
        """Backbone, dropout and a linear head over the first token: the mixin's layout."""

        def __init__(self) -> None:
            super().__init__()
            self.model = transformers.AutoModel.from_config(backbone_config)
            self.dropout = torch.nn.Dropout(float(config.get("fc_dropout", 0.0)))
            self.fc = torch.nn.Linear(backbone_config.hidden_size, labels)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
            logits = self.fc(self.dropout(hidden.last_hidden_state))
            return torch.softmax(logits[:, 0, :], dim=1)

    return QualityClassifier()


class _ProbabilitiesOf:
    """An ordinary sequence classifier called like the mixin model (probabilities out)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.config = model.config

    @classmethod
    def wrap(cls, loaded: LoadedModel) -> LoadedModel:
        return LoadedModel(loaded.tokenizer, cls(loaded.model), loaded.device)

    def __call__(self, input_ids: Any, attention_mask: Any) -> Any:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        return logits.float().softmax(dim=-1)


class _QualityScorer(ModelScorer):
    default_model = DEFAULT_MODEL

    def load(self) -> LoadedModel:
        return load_quality_classifier(self.model_name_or_path, self.device, self.model_cache_dir)

    def labels(self, rows: list[Row], input_key: str) -> list[Any]:
        return self.score_all(texts_of(rows, input_key), self._batch)

    def _batch(self, loaded: LoadedModel, texts: list[str]) -> list[str]:
        batch = encode(loaded, texts)
        probabilities = loaded.model(batch["input_ids"], batch["attention_mask"])
        id2label = loaded.model.config.id2label
        return [str(id2label[int(i)]) for i in probabilities.argmax(dim=1).cpu()]


class DebertaV3SampleEvaluator(_QualityScorer, SampleEvaluator):
    """Writes the quality label (``"High"``, ``"Medium"`` or ``"Low"``) into ``output_key``.

    Differences from DataFlow: ``model_name`` defaults to NVIDIA's classifier (DataFlow's
    evaluator requires it, its filter defaults to it); ``batch_size`` rows go through the model
    at once (DataFlow: one by one); ``device=None`` picks the GPU when there is one.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        *,
        batch_size: int = 16,
    ) -> None:
        self._set_model(model_name, device, model_cache_dir, batch_size)

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "Debertav3Score"
    ) -> list[Row | Failure]:
        return with_scores(rows, self.labels(rows, input_key), output_key)


class DebertaV3Filter(_QualityScorer, Filter):
    """Keeps texts whose quality label is in ``allowed_scores`` (DataFlow: Medium and High);
    the label is written into ``output_key``."""

    def __init__(
        self,
        allowed_scores: list[str] | None = None,
        model_name: str = DEFAULT_MODEL,
        model_cache_dir: str | None = "./dataflow_cache",
        device: str | None = None,
        batch_size: int = 16,
    ) -> None:
        self._set_model(model_name, device, model_cache_dir, batch_size)
        self.allowed_scores = list(allowed_scores or ["Medium", "High"])

    def process(
        self, rows: list[Row], input_key: str = "raw_content", output_key: str = "Debertav3Score"
    ) -> list[Any]:
        verdicts: list[Any] = []
        for row, label in zip(rows, self.labels(rows, input_key), strict=True):
            if isinstance(label, Failure):
                verdicts.append(label)
                continue
            row[output_key] = label
            allowed = label in self.allowed_scores
            verdicts.append(True if allowed else (False, f"quality label {label!r} not allowed"))
        return verdicts
