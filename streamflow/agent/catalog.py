"""What the agent knows about the library, read from code at run time (never a stale list).

:func:`operator_cards` turns every operator of the live registry
(:data:`~streamflow.operators.registry.OPERATORS`) into an :class:`OperatorCard`: its name,
kind, domain, description, the fields its ``run()`` reads and writes (keys named ``input_*`` and
``output_*``), its constructor parameters and its prompt templates. :func:`pipeline_cards` reads
the shipped pipelines' module docstrings and the operators they use (by walking their source, no
import). Both give the text that retrieval indexes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from importlib import resources

from streamflow.operators.registry import OPERATORS, OperatorInfo, OperatorRegistry, Param

__all__ = [
    "KeySpec",
    "OperatorCard",
    "PipelineCard",
    "operator_cards",
    "pipeline_cards",
    "words_of",
]

SERVING_PARAMS = ("llm_serving",)
MISSING = object()


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One ``run()`` key: ``input_text_key`` reads a field, ``output_key`` writes one."""

    name: str
    default: str | None
    """The default field name (None: no default)."""
    required: bool

    @property
    def is_input(self) -> bool:
        return self.name.startswith("input")

    @property
    def is_output(self) -> bool:
        return self.name.startswith("output")

    @property
    def words(self) -> set[str]:
        """What the key is about: ``input_question_key`` -> {"question"}."""
        core = re.sub(r"^(input|output)_?|_?key$|_?keys$", "", self.name)
        found = set(words_of(core))
        if self.default:
            found |= set(words_of(self.default))
        return found


@dataclass(frozen=True, slots=True)
class OperatorCard:
    name: str
    kind: str
    domain: str
    summary: str
    description: str
    keys: tuple[KeySpec, ...]
    parameters: tuple[Param, ...]
    allowed_prompts: tuple[str, ...]
    module: str
    seeds_itself: bool = False
    """It makes its own seed rows when the pipeline has no input file (``seed_rows``)."""

    @property
    def inputs(self) -> list[KeySpec]:
        return [k for k in self.keys if k.is_input]

    @property
    def outputs(self) -> list[KeySpec]:
        return [k for k in self.keys if k.is_output]

    @property
    def uses_llm(self) -> bool:
        return any(p.name in SERVING_PARAMS for p in self.parameters)

    def parameter(self, name: str) -> Param | None:
        return next((p for p in self.parameters if p.name == name), None)

    def text(self) -> str:
        """What retrieval indexes: the name split into words, the kind, the description."""
        reads = ", ".join(k.default or k.name for k in self.inputs) or "nothing"
        writes = ", ".join(k.default or k.name for k in self.outputs) or "the same fields"
        params = ", ".join(
            " ".join(words_of(p.name)) for p in self.parameters if p.name not in SERVING_PARAMS
        )
        return (
            f"{self.name} ({' '.join(words_of(self.name))}): a {self.kind.replace('_', ' ')} "
            f"of {self.domain.replace('_', ' ')}. {self.description} Reads {reads}; writes "
            f"{writes}. Parameters: {params or 'none'}."
        )

    def doc(self) -> str:
        """A short reference for the model: the signature and the first paragraph."""
        keys = ", ".join(f"{k.name}={k.default!r}" if k.default else k.name for k in self.keys)
        params = ", ".join(
            f"{p.name}={p.default}" if p.default is not None else p.name
            for p in self.parameters
            if p.name not in SERVING_PARAMS
        )
        return f"{self.name}({params}) [{self.kind}] run({keys}): {self.summary}"


@dataclass(frozen=True, slots=True)
class PipelineCard:
    name: str
    summary: str
    operators: tuple[str, ...]
    """The operators the pipeline builds, in the order its source names them."""

    def text(self) -> str:
        return f"pipeline {self.name.replace('_', ' ')}: {self.summary}"


def words_of(name: str) -> list[str]:
    """``HtmlURLRemoverRefiner`` -> html url remover refiner; ``input_key`` -> input key."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def _card(info: OperatorInfo, seeds_itself: bool = False) -> OperatorCard:
    keys = tuple(
        KeySpec(
            k.name,
            default=_unrepr(k.default),
            required=k.default is None,
        )
        for k in info.keys
    )
    return OperatorCard(
        name=info.name,
        kind=info.kind,
        domain=info.domain,
        summary=info.summary,
        description=" ".join(info.description.split("\n\n", 2)[:2]).replace("\n", " "),
        keys=keys,
        parameters=info.parameters,
        allowed_prompts=info.allowed_prompts,
        module=info.module,
        seeds_itself=seeds_itself,
    )


def _unrepr(default: str | None) -> str | None:
    if default is None:
        return None
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def operator_cards(registry: OperatorRegistry = OPERATORS) -> dict[str, OperatorCard]:
    """Every registered operator (library, extensions imported so far, user code), by name."""
    return {
        info.name: _card(info, hasattr(registry.get(info.name), "seed_rows"))
        for info in registry.infos()
    }


def pipeline_cards() -> list[PipelineCard]:
    """The shipped pipelines: their docstring's first paragraph and the operators they build."""
    names = set(OPERATORS.builtin())
    found = []
    root = resources.files("streamflow.pipelines")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        tree = ast.parse(entry.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        used: list[str] = []
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in names
                and node.func.id not in used
            ):
                used.append(node.func.id)
        summary = doc.split("\n\n", 1)[0].replace("\n", " ")
        found.append(PipelineCard(entry.name[:-3], summary, tuple(used)))
    return found
