"""The base of the text_sft scorers that run a model of their own through transformers.

DataFlow's Deita, Instag, RM and Superfiltering evaluators load a Hugging Face model (a hub id,
DataFlow's default, or a local directory). Here the model is loaded on first use, in the worker
thread that runs the hook, once per operator; constructing the operator (or a pipeline that
holds it) loads nothing, so ``compile()`` and ``ops show`` stay cheap. Rows are scored in
batches of ``batch_size`` under ``torch.inference_mode``. A model that cannot be loaded (no
such directory, no network for a hub id) fails every row with the same reason, loaded once.

``model_name_or_path="embedded"`` names streamflow's embedded default model (SmolLM2-135M-Instruct,
a LLaMA-architecture causal LM), prepared on first use like the engine's.

``device=None`` picks CUDA when torch sees a GPU, else the CPU (DataFlow defaults to ``'cuda'``
and fails without one; ``'cuda'`` given here on a machine without a GPU fails the same way,
with the reason). ``model_cache_dir`` is passed to transformers as ``cache_dir``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from streamflow.extras import require
from streamflow.rows import Failure

__all__ = ["EMBEDDED", "LoadedModel", "ModelLoadError", "ModelScorer", "batched"]

EMBEDDED = "embedded"
"""The model name that means streamflow's embedded default model."""

ModelKind = Literal["causal_lm", "sequence_classification", "encoder"]
T = TypeVar("T")


class ModelLoadError(RuntimeError):
    """The scorer's model could not be loaded; every row it would score fails with this."""


@dataclass
class LoadedModel:
    tokenizer: Any
    model: Any
    device: str


class ModelScorer:
    """Mixin of a model-based scorer: its model, device and batch size, loaded on first use."""

    expensive: ClassVar[bool] = True
    model_kind: ClassVar[ModelKind] = "causal_lm"
    default_model: ClassVar[str] = ""
    """The model DataFlow names (a Hugging Face hub id)."""

    model_name_or_path: str
    device: str | None
    model_cache_dir: str | None
    batch_size: int

    def _set_model(
        self,
        model_name_or_path: str | None,
        device: str | None,
        model_cache_dir: str | None,
        batch_size: int,
    ) -> None:
        require("torch", "models")
        require("transformers", "models")
        if batch_size < 1:
            raise ValueError(f"{type(self).__name__}: batch_size must be >= 1, got {batch_size}")
        self.model_name_or_path = str(model_name_or_path or self.default_model)
        self.device = device
        self.model_cache_dir = model_cache_dir
        self.batch_size = batch_size
        self._load_lock = threading.Lock()
        self._loaded: LoadedModel | ModelLoadError | None = None

    def loaded(self) -> LoadedModel:
        """The tokenizer and model, loaded once (blocking: call it from a worker thread)."""
        with self._load_lock:
            if self._loaded is None:
                try:
                    self._loaded = self.load()
                    self.prepare(self._loaded)
                except ModelLoadError as exc:
                    self._loaded = exc
            if isinstance(self._loaded, ModelLoadError):
                raise self._loaded
            return self._loaded

    def load(self) -> LoadedModel:
        """Load the tokenizer and model; a scorer whose model is not a plain ``Auto*`` class
        overrides it (raising :class:`ModelLoadError` when it cannot load)."""
        return load_model(
            self.model_kind, self.model_name_or_path, self.device, self.model_cache_dir
        )

    def prepare(self, loaded: LoadedModel) -> None:
        """Hook for a scorer's one-off set-up after loading (token ids, padding side)."""

    def score_all(
        self, items: Sequence[T | Failure], score: Callable[[LoadedModel, list[T]], list[Any]]
    ) -> list[Any]:
        """``score`` over the items that are not already failures, ``batch_size`` at a time; a
        model that cannot be loaded fails every item with its reason."""
        todo = [i for i, item in enumerate(items) if not isinstance(item, Failure)]
        out: list[Any] = list(items)
        if not todo:
            return out
        try:
            loaded = self.loaded()
        except ModelLoadError as exc:
            return [item if isinstance(item, Failure) else Failure(str(exc)) for item in items]
        torch = require("torch", "models")
        with torch.inference_mode():
            for chunk in batched(todo, self.batch_size):
                results = score(loaded, [items[i] for i in chunk])  # type: ignore[misc]
                for i, result in zip(chunk, results, strict=True):
                    out[i] = result
        return out


def batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def pick_device(device: str | None) -> str:
    torch = require("torch", "models")
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r} asked for, but torch sees no GPU (use 'cpu')")
    return device


def load_model(
    kind: ModelKind, name_or_path: str, device: str | None, cache_dir: str | None
) -> LoadedModel:
    """Tokenizer and model of ``kind``, in float32 on CPU, in eval mode on ``device``."""
    torch = require("torch", "models")
    transformers = require("transformers", "models")
    target = pick_device(device)
    if name_or_path == EMBEDDED:
        from streamflow.models import prepare_default_model

        try:
            name_or_path = str(prepare_default_model())
        except Exception as exc:
            raise ModelLoadError(f"the embedded default model is not available: {exc}") from exc
    classes = {
        "causal_lm": transformers.AutoModelForCausalLM,
        "sequence_classification": transformers.AutoModelForSequenceClassification,
        "encoder": transformers.AutoModel,
    }
    dtype = torch.float32 if target == "cpu" else "auto"
    transformers.utils.logging.disable_progress_bar()  # it would tear the live progress display
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name_or_path, cache_dir=cache_dir)
        model = classes[kind].from_pretrained(name_or_path, cache_dir=cache_dir, dtype=dtype)
    except (OSError, ValueError) as exc:
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise ModelLoadError(f"cannot load model {name_or_path!r}: {first.strip()}") from exc
    model.to(target)
    model.eval()
    model.requires_grad_(False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return LoadedModel(tokenizer, model, target)
