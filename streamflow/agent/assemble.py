"""assemble: a checked plan as a pipeline file a person would be happy to read.

The file is our PyTorch-like API, as a user would write it: imports from each operator's own
module, ``__init__`` that builds storage, serving and one attribute per step (a comment with the
step's purpose above it), ``forward()`` with one ``run()`` per step and its key bindings. The LLM
steps share one serving chosen from the environment (the embedded model, or
``$OPENAI_BASE_URL``), so the same file runs with ``streamflow run`` anywhere. Every value the
model chose is written with ``repr`` of a checked literal: the model writes data, never code —
except an operator class the agent synthesised for a step nothing else does
(:mod:`streamflow.agent.synthesis`): its source, statically checked and passed on the sample in
the sandbox, stands above the pipeline class under a comment that says it was written by the
model, and its imports (allowlisted standard-library modules) join the file's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from streamflow.agent.catalog import OperatorCard, words_of
from streamflow.agent.plan import Step, snake_name
from streamflow.agent.synthesis import Synthesised
from streamflow.operators.registry import prompt_templates

__all__ = ["Assembly", "assemble"]

CLASS_NAME = "AgentPipeline"
MAX_TOKENS = 512
SEED_ROWS = 5
"""Rows a pipeline without input starts from, when its first step makes none itself."""


@dataclass(frozen=True, slots=True)
class Assembly:
    source: str
    attributes: list[str]
    """The pipeline attribute of each step, in order."""


def _attribute_names(steps: list[Step]) -> list[str]:
    names: list[str] = []
    for step in steps:
        base = snake_name(step.operator)
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _comment(text: str, indent: str) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > 90 - len(indent):
            lines.append(f"{indent}# {line}")
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(f"{indent}# {line}")
    return lines


def _call(target: str, args: list[str], indent: str) -> list[str]:
    one = f"{indent}{target}({', '.join(args)})"
    if len(one) <= 100:
        return [one]
    return [f"{indent}{target}(", *(f"{indent}    {a}," for a in args), f"{indent})"]


def assemble(
    steps: list[Step],
    cards: dict[str, OperatorCard],
    *,
    request: str,
    data_file: str | None,
    output_file: str = "agent_output.jsonl",
    sample_fields: list[str] = (),  # type: ignore[assignment]
    databases: str | None = None,
    has_input: bool = True,
) -> Assembly:
    """The pipeline file of ``steps``, already checked by
    :func:`~streamflow.agent.plan.check_plan`."""
    attributes = _attribute_names(steps)
    imports: dict[str, set[str]] = {}
    uses_llm = uses_databases = False
    init: list[str] = []
    forward: list[str] = []
    templates = None
    written: dict[str, Synthesised] = {}
    for n, (step, attr) in enumerate(zip(steps, attributes, strict=True), 1):
        card = cards[step.operator]
        if step.synthesised is not None:
            written[step.synthesised.name] = step.synthesised
            imports.setdefault("streamflow", set()).add(step.synthesised.base)
        else:
            imports.setdefault(card.module, set()).add(card.name)
        args: list[str] = []
        if card.uses_llm:
            uses_llm = True
            args.append("llm_serving=serving")
        if card.parameter("database_manager") is not None:
            uses_databases = True
            args.append("database_manager=databases")
        if card.allowed_prompts and card.parameter("prompt_template") is not None:
            default = card.parameter("prompt_template")
            if default is not None and (default.default in (None, "None")):
                templates = templates or prompt_templates()
                template = templates.get(card.allowed_prompts[0])
                if template is not None and template.extension is None:
                    module, _, cls = template.target.partition(":")
                    imports.setdefault(module, set()).add(cls)
                    args.append(f"prompt_template={cls}()")
        args += [f"{name}={value!r}" for name, value in step.params.items()]
        init.append("")
        init += _comment(f"{n}. {step.description}", "        ")
        init += _call(f"self.{attr} = {card.name}", args, "        ")
        keys = ["self.storage.step()"] + [
            f"{key}={value!r}" for key, value in step.bindings.items()
        ]
        forward += _call(f"self.{attr}.run", keys, "        ")
    lines = ['"""' + _safe(_docstring(request, steps, data_file, sample_fields)), '"""', ""]
    lines += ["from __future__ import annotations", ""]
    plain = sorted({line for w in written.values() for line in w.imports})
    if plain:
        lines += [*plain, ""]
    if uses_databases:
        lines += ["import os", ""]
        imports.setdefault("streamflow.databases", set()).update(
            {"DATABASES_ENV", "DatabaseManager"}
        )
    own = sorted(m for m in imports if m == "streamflow" or m.startswith("streamflow."))
    for module in own:
        lines.append(f"from {module} import {', '.join(sorted(imports[module]))}")
    lines.append("from streamflow.pipeline import Pipeline")
    if uses_llm:
        lines.append("from streamflow.serving.base import SamplingParams")
        lines.append("from streamflow.serving.choose import serving_from_environment")
    lines.append("from streamflow.storage import FileStorage")
    for synthesised in written.values():
        lines += ["", ""]
        lines += _comment(
            "Written by the model for a step no library operator does; checked, and tried on the "
            "sample only inside the sandbox. Review it before running this file outside one.",
            "",
        )
        lines += synthesised.class_source.splitlines()
    lines += ["", "", f"class {CLASS_NAME}(Pipeline):"]
    lines.append(f'    """{_safe(_title(request))}"""')
    lines += ["", "    def __init__(self) -> None:"]
    if has_input and not data_file:
        data_file = "input.jsonl"  # a name to override: streamflow run FILE --input DATA
    entry = f"{data_file!r}, " if has_input else ""
    seeds = ""
    if not has_input and not (steps and cards[steps[0].operator].seeds_itself):
        seeds = f", seed_rows={SEED_ROWS}"  # nothing to read: the first step starts from seeds
    lines.append(f"        self.storage = FileStorage({entry}output_file={output_file!r}{seeds})")
    if uses_databases:
        lines.append(
            "        databases = DatabaseManager(source=os.environ.get(DATABASES_ENV) or "
            f"{databases!r})"
        )
    if uses_llm:
        lines.append(
            f"        serving = serving_from_environment(SamplingParams(max_tokens={MAX_TOKENS}))"
        )
    lines += init
    lines += ["", "    def forward(self) -> None:"]
    lines += forward or ["        pass"]
    source = "\n".join(_wrap_long_imports(lines)) + "\n"
    return Assembly(source, attributes)


def _wrap_long_imports(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if line.startswith("from ") and len(line) > 100:
            head, _, names = line.partition(" import ")
            out += [f"{head} import (", *(f"    {n}," for n in names.split(", ")), ")"]
        else:
            out.append(line)
    return out


def _title(request: str) -> str:
    first = request.strip().split(". ")[0].rstrip(".")
    return (first[:80] + "...") if len(first) > 80 else first + "."


def _docstring(
    request: str, steps: list[Step], data_file: str | None, sample_fields: list[str]
) -> str:
    text = [
        "Written by `streamflow agent` for the request:",
        "",
        *("    " + line for line in _wrap(request, 92)),
        "",
        "Steps:",
    ]
    for n, step in enumerate(steps, 1):
        what = " ".join(words_of(step.operator))
        text += _wrap(f"{n}. {step.operator} ({what}): {step.why or step.description}", 96)
    fields = ", ".join(sample_fields) if sample_fields else "none (it generates from nothing)"
    text += ["", f"Input fields seen in the sample: {fields}.", "", "Run it with::", ""]
    data = f" --input {json.dumps(data_file)}" if data_file else ""
    text.append(f"    streamflow run THIS_FILE.py{data} --output out.jsonl")
    return "\n".join(text)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines


def _safe(text: str) -> str:
    """Text that cannot end the docstring it sits in (the request is the user's, any text)."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').rstrip('"')
