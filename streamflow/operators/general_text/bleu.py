"""Sentence BLEU of a text against its reference(s) (DataFlow's ``BleuSampleEvaluator``),
computed by sacrebleu (extra ``text-metrics``).

The score is sacrebleu's sentence BLEU (``sentence_bleu``: 13a tokenisation, exponential
smoothing, effective order) divided by 100, so it lies in [0, 1] as DataFlow's does. DataFlow's
own scorer (pycocoevalcap's BLEU, whitespace tokens, no smoothing) returns, by an indexing slip,
BLEU-1 rather than BLEU-``n``; here ``n`` is the highest n-gram order used, as its docstring says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from streamflow.actors.base import SampleEvaluator
from streamflow.extras import require
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["BleuSampleEvaluator", "references_of"]

_EFF = ("shortest", "average", "longest", "closest")


def references_of(op: str, row: Row, key: str) -> list[str]:
    """``row[key]`` as a list of reference strings (a string is one reference)."""
    try:
        value: Any = row[key]
    except KeyError:
        raise KeyError(f"{op}: row has no field {key!r}") from None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"{op}: field {key!r} must be a string or a non-empty list of strings")


class BleuSampleEvaluator(SampleEvaluator):
    """Writes the sentence BLEU (0..1) of ``input_key`` against ``input_reference_key``.

    ``n`` is the highest n-gram order (4). ``eff`` picks the reference length for the brevity
    penalty when there are several references: ``shortest``, ``average`` (DataFlow's default),
    ``longest`` or ``closest`` (sacrebleu's); ``special_reflen`` fixes it. ``tokenize`` and
    ``smooth_method`` are sacrebleu's (``13a``, ``exp``). The reference field holds a string or
    a list of strings.
    """

    def __init__(
        self,
        n: int = 4,
        eff: str = "average",
        special_reflen: float | None = None,
        tokenize: str = "13a",
        smooth_method: str = "exp",
    ) -> None:
        if eff not in _EFF:
            raise ValueError(f"{self.name}: eff must be one of {', '.join(_EFF)}, got {eff!r}")
        self.n = n
        self.eff = eff
        self.special_reflen = special_reflen
        sacrebleu = require("sacrebleu", "text-metrics")
        self._bleu_class = sacrebleu.metrics.BLEU
        self._bleu = self._bleu_class(
            max_ngram_order=n, tokenize=tokenize, smooth_method=smooth_method, effective_order=True
        )

    def score(self, hypothesis: str, references: Sequence[str]) -> float:
        """The sentence BLEU of ``hypothesis`` (0..1)."""
        stats = self._bleu.sentence_score(hypothesis, list(references))
        ref_len = self._reference_length(stats, references)
        if ref_len == stats.ref_len:
            return float(stats.score) / 100
        # the n-gram part from sacrebleu (no brevity penalty: ref_len 0), then the penalty for
        # this reference length as sacrebleu computes it (its score object wants an int length)
        precision = self._bleu_class.compute_bleu(
            correct=stats.counts,
            total=stats.totals,
            sys_len=stats.sys_len,
            ref_len=0,
            smooth_method=self._bleu.smooth_method,
            smooth_value=self._bleu.smooth_value,
            effective_order=True,
            max_ngram_order=self.n,
        )
        sys_len = stats.sys_len
        penalty = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len) if sys_len else 0.0
        return float(precision.score) * penalty / 100

    def _reference_length(self, stats: Any, references: Sequence[str]) -> float:
        if self.special_reflen is not None:
            return float(self.special_reflen)
        if len(references) == 1 or self.eff == "closest":
            return float(stats.ref_len)
        # each reference's length in tokens, as the metric tokenises it
        lengths = [self._bleu.sentence_score(ref, [ref]).sys_len for ref in references]
        if self.eff == "shortest":
            return float(min(lengths))
        if self.eff == "longest":
            return float(max(lengths))
        return float(sum(lengths)) / len(lengths)

    def process(
        self,
        rows: list[Row],
        input_key: str = "generated_text",
        input_reference_key: str = "reference_text",
        output_key: str = "BleuScore",
    ) -> list[Row]:
        for row in rows:
            hypothesis = text_field(self.name, row, input_key)
            refs = references_of(self.name, row, input_reference_key)
            row[output_key] = self.score(hypothesis, refs)
        return rows
