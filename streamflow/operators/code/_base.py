"""What the code operators share: the template a constructor is given, a row's code sample, and
the base classes of the heuristic evaluators and of the filters built on them.

A heuristic evaluator (``Code*SampleEvaluator``) measures one sample and writes DataFlow's score
fields (``CodeLengthScore``, ``CodeLengthMaxLineLength``...: the same names) into the row; its
overall score is 1.0 when the sample passes its rules and 0.0 when not. The filter of the same
rule (``Code*Filter``) writes the same fields, keeps a row whose overall score lies in
``[min_score, max_score]`` and writes the 0/1 keep label to ``output_key``. A dropped row records
the rule it failed and the measured value (DataFlow records nothing).

The sample in ``input_key`` may be, as in DataFlow, a dict with ``text``/``content``, ``lines``,
``language`` and ``filename``, a list of lines, or a string. Where DataFlow needs lines and gets
a string (or the reverse) the string is split at its line ends (the lines joined with ``\\n``),
so any of the three works with every operator. A missing field or a value of another type fails
that row alone, with a message naming the operator and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from streamflow.actors.base import Filter, Operator, SampleEvaluator
from streamflow.operators.code.prompts import DiyCodePrompt
from streamflow.operators.llm import has_content
from streamflow.prompts.base import PromptTemplate, as_text
from streamflow.rows import Row

__all__ = [
    "CodeSample",
    "Measured",
    "Verdict",
    "field_text",
    "resolve_template",
    "sample_of",
]


def resolve_template(
    op: Operator, template: PromptTemplate | type[PromptTemplate] | str | None, default: type
) -> PromptTemplate:
    """The template to use: ``default()`` for None, an instance for a class, a
    :class:`DiyCodePrompt` for a string (as DataFlow), checked against ``op.ALLOWED_PROMPTS``."""
    if template is None:
        template = default()
    elif isinstance(template, str):
        template = DiyCodePrompt(template)
    elif isinstance(template, type):
        template = template()
    op.check_prompt_template(template)
    assert isinstance(template, PromptTemplate)
    return template


def field_text(row: Row, key: str) -> str | None:
    """A field as prompt text, or ``None`` where it is missing or blank (no request then)."""
    value = row.get(key)
    return as_text(value) if has_content(value) else None


@dataclass(frozen=True, slots=True)
class CodeSample:
    """One code file as the heuristics see it."""

    text: str
    lines: list[str]
    language: str = "unknown"
    filename: str = ""


def sample_of(op: str, row: Row, key: str) -> CodeSample:
    """The sample in ``row[key]``: a dict (DataFlow's sample), a list of lines or a string."""
    try:
        value = row[key]
    except KeyError:
        raise KeyError(f"{op}: row has no field {key!r}") from None
    if isinstance(value, str):
        return CodeSample(value, value.splitlines())
    if isinstance(value, list):
        return CodeSample("\n".join(_lines(op, key, value)), _lines(op, key, value))
    if isinstance(value, dict):
        text = value.get("text", value.get("content"))
        lines = value.get("lines")
        if text is None and lines is None:
            raise KeyError(f"{op}: the sample in {key!r} has neither 'text' nor 'lines'")
        if lines is not None:
            lines = _lines(op, f"{key}.lines", lines)
        if text is not None and not isinstance(text, str):
            raise TypeError(f"{op}: {key}.text must be a string, got {type(text).__name__}")
        text = text if text is not None else "\n".join(lines or [])
        return CodeSample(
            text,
            lines if lines is not None else text.splitlines(),
            str(value.get("language") or "unknown"),
            str(value.get("filename") or ""),
        )
    raise TypeError(
        f"{op}: field {key!r} must be code text, a list of lines or a sample dict, "
        f"got {type(value).__name__}"
    )


def _lines(op: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise TypeError(f"{op}: field {key!r} must be a list of strings")
    return value


Verdict = bool | tuple[bool, str]
"""A filter's answer for one row: keep, or drop with the reason."""

Measured = tuple[dict[str, Any], str | None]
"""The score fields of a sample, and why it fails the rules (None when it passes)."""


class _HeuristicCodeEvaluator(SampleEvaluator):
    """Writes ``measure``'s score fields into each row."""

    score_name: ClassVar[str]
    """The overall 0/1 score field (``CodeLengthScore``...)."""

    def process(self, rows: list[Row], input_key: str) -> list[Row]:
        name = type(self).__name__
        return [{**row, **self.measure(sample_of(name, row, input_key))[0]} for row in rows]

    def measure(self, sample: CodeSample) -> Measured:
        raise NotImplementedError


class _HeuristicCodeFilter(Filter):
    """Scores each row with ``self.scorer`` and keeps it when its overall score lies in
    ``[min_score, max_score]``; writes the score fields and the 0/1 label ``output_key``."""

    scorer: _HeuristicCodeEvaluator
    min_score: float
    max_score: float
    default_output_key: ClassVar[str]

    def _check_range(self) -> None:
        if self.min_score > self.max_score:
            raise ValueError(
                f"{type(self).__name__}: min_score {self.min_score} > max_score {self.max_score}"
            )

    def keep(self, rows: list[Row], input_key: str, output_key: str) -> list[Verdict]:
        name = type(self).__name__
        score_name = self.scorer.score_name
        verdicts: list[Verdict] = []
        for row in rows:
            scores, why = self.scorer.measure(sample_of(name, row, input_key))
            row.update(scores)
            score = scores[score_name]
            kept = self.min_score <= score <= self.max_score
            row[output_key] = int(kept)
            if kept:
                verdicts.append(True)
            else:
                detail = f": {why}" if why else ""
                verdicts.append(
                    (
                        False,
                        f"{score_name} {score:g} outside "
                        f"[{self.min_score:g}, {self.max_score:g}]{detail}",
                    )
                )
        return verdicts
