"""BenchAnswerGenerator: answer a benchmark's questions with a model, for the bench evaluators.

``eval_type`` is one of UnifiedBenchDatasetEvaluator's types. Only the types scored from a
generated answer are sent to the model: ``key2_qa`` and ``key2_q_ma`` (free answers) and
``key3_q_choices_as`` (multiple selection); the others (``key1_text_score``,
``key3_q_choices_a``, ``key3_q_a_rejected``) are scored by likelihood, so rows pass through
unchanged unless ``force_generate=True`` (which generates for every type but
``key1_text_score``). The default prompt shows an optional context, the question, and for choice
types the choices lettered ``A.``, ``B.``...; a :class:`FormatStrPrompt` (or a DIY template)
may be given instead, filled from ``question``, ``context`` and ``choices`` (the lettered list).

Differences from DataFlow: a row with an existing ``output_key`` is a compile-time overwrite
error unless ``run(..., overwrite=True)`` (DataFlow checks ``allow_overwrite``, which is also
accepted); a missing question or choices field fails that row with the reason instead of
skipping the whole step; a failed request fails its row (DataFlow writes ``""`` for all).
"""

from __future__ import annotations

import json
import string
from typing import Any, Literal

from streamflow.actors.base import Generator
from streamflow.operators.llm import LLMOperator, has_content
from streamflow.prompts.base import DIYPromptABC, FormatStrPrompt, PromptFieldError, as_text
from streamflow.rows import Failure, Row
from streamflow.serving.base import LLMServing

__all__ = ["EVAL_TYPES", "BenchAnswerGenerator", "as_choices", "format_choices"]

EvalType = Literal[
    "key1_text_score",
    "key2_qa",
    "key2_q_ma",
    "key3_q_choices_a",
    "key3_q_choices_as",
    "key3_q_a_rejected",
]
EVAL_TYPES: tuple[str, ...] = EvalType.__args__  # type: ignore[attr-defined]
GENERATED_TYPES = ("key2_qa", "key2_q_ma", "key3_q_choices_as")
CHOICE_TYPES = ("key3_q_choices_a", "key3_q_choices_as")


def check_eval_type(owner: str, eval_type: str) -> None:
    if eval_type not in EVAL_TYPES:
        raise ValueError(f"{owner}: eval_type must be one of {', '.join(EVAL_TYPES)}")


def as_choices(value: Any) -> list[str] | None:
    """A row's choices as a list of strings (a list, or a JSON list in a string), else None."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list) and value:
        return [as_text(v) for v in value]
    return None


def format_choices(choices: list[str]) -> str:
    letters = string.ascii_uppercase
    return "\n".join(f"{letters[i] if i < len(letters) else i}. {c}" for i, c in enumerate(choices))


def context_text(value: Any) -> str:
    """A context field as text: a list's non-empty items one per line."""
    if isinstance(value, list):
        return "\n".join(s for v in value if (s := as_text(v).strip()))
    return as_text(value).strip() if has_content(value) else ""


def default_prompt(eval_type: str, question: str, context: str, choices: list[str] | None) -> str:
    head = f"Context:\n{context}\n\n" if context else ""
    head += f"Question:\n{question.strip()}\n\n"
    if eval_type == "key3_q_choices_a":
        return (
            f"{head}Choices:\n{format_choices(choices or [])}\n\n"
            "Pick exactly one choice and reply with its letter only (e.g. A).\nAnswer:"
        )
    if eval_type == "key3_q_choices_as":
        return (
            f"{head}Choices:\n{format_choices(choices or [])}\n\n"
            "Pick every correct choice and reply with their letters only, separated by commas "
            "(e.g. A, C).\nAnswer:"
        )
    return f"{head}Answer:"


class BenchAnswerGenerator(LLMOperator, Generator):
    """Writes the model's answer to each benchmark question into ``output_key``."""

    ALLOWED_PROMPTS = (FormatStrPrompt,)

    def __init__(
        self,
        eval_type: EvalType = "key2_qa",
        llm_serving: LLMServing | None = None,
        prompt_template: FormatStrPrompt | DIYPromptABC | None = None,
        system_prompt: str = "You are a helpful assistant who answers questions accurately.",
        allow_overwrite: bool = False,
        force_generate: bool = False,
    ) -> None:
        check_eval_type(self.name, eval_type)
        self.check_prompt_template(prompt_template)
        self.eval_type = eval_type
        self.prompt_template = prompt_template
        self.system_prompt = system_prompt
        self.allow_overwrite = allow_overwrite
        self.force_generate = force_generate
        if self.generates:  # a type scored by likelihood sends nothing: no engine for it
            self._use(llm_serving)

    @property
    def generates(self) -> bool:
        if self.force_generate:
            return self.eval_type != "key1_text_score"
        return self.eval_type in GENERATED_TYPES

    def run(self, storage: Any, **keys: Any) -> None:
        if self.allow_overwrite:
            keys.setdefault("overwrite", True)
        super().run(storage, **keys)

    def _prompt(
        self, row: Row, question_key: str | None, choices_key: str | None, context_key: str | None
    ) -> str | Failure:
        if not question_key or not has_content(row.get(question_key)):
            return Failure(f"empty or missing question field {question_key!r}")
        choices = None
        if self.eval_type in CHOICE_TYPES:
            choices = as_choices(row.get(choices_key)) if choices_key else None
            if choices is None:
                return Failure(f"field {choices_key!r} holds no list of choices")
        question = as_text(row[question_key])
        context = context_text(row.get(context_key)) if context_key else ""
        if self.prompt_template is None:
            return default_prompt(self.eval_type, question, context, choices)
        fields = {
            "question": question,
            "context": context,
            "choices": format_choices(choices) if choices else "",
        }
        try:
            return self.prompt_template.build_prompt(
                **{k: v for k, v in fields.items() if k in _placeholders(self.prompt_template)}
            )
        except PromptFieldError as exc:
            return Failure(str(exc))

    async def process(
        self,
        rows: list[Row],
        input_text_key: str | None = None,
        input_question_key: str | None = None,
        input_target_key: str | None = None,
        input_targets_key: str | None = None,
        input_choices_key: str | None = None,
        input_label_key: str | None = None,
        input_labels_key: str | None = None,
        input_better_key: str | None = None,
        input_rejected_key: str | None = None,
        input_context_key: str | None = None,
        output_key: str = "generated_ans",
    ) -> list[Row | Failure]:
        if not self.generates:
            return list(rows)
        prompts = [
            self._prompt(row, input_question_key, input_choices_key, input_context_key)
            for row in rows
        ]
        answers = await self.ask(
            [p if isinstance(p, str) else None for p in prompts],
            system_prompt=self.system_prompt,
        )
        out: list[Row | Failure] = []
        for row, prompt, answer in zip(rows, prompts, answers, strict=True):
            if isinstance(prompt, Failure):
                out.append(prompt)
            elif isinstance(answer, Failure):
                out.append(answer)
            else:
                out.append({**row, output_key: answer or ""})
        return out


def _placeholders(template: Any) -> tuple[str, ...]:
    names = getattr(template, "placeholders", None)
    if names is not None:
        return tuple(names)
    return tuple(getattr(template, "fields", ("question",)))
