"""The base of DataFlow's rule-based (heuristic) text filters, and the contract they share.

Each filter (the ``*_filters`` modules beside this one) keeps DataFlow's name, parameters,
defaults and rule (``dataflow/operators/general_text/filter/``); most rules come from Gopher, C4
and RefinedWeb. Where streamflow differs, the filter's docstring says so. Common to all of them:

- A dropped row records why, with the measured value and the threshold it failed.
- ``output_key`` receives DataFlow's column under DataFlow's name by default (each filter's
  ``label_key``: ``word_number_filter_label``, ``stop_word_filter_label``...): the 0/1 keep
  label, so it is 1 on every row that survives (0 is written on dropped rows too, as DataFlow
  does, though they leave the stream). ``WordNumberFilter`` writes the word count there, as
  DataFlow does. ``output_key=None`` writes nothing.
- ``output_score_key``, when bound, receives the measured value the rule compares with its
  threshold (the number of words, the symbol ratio...): what a user tunes thresholds with.
  DataFlow has no such key. Filters that measure nothing write the 0/1 label there too.
- An empty text is dropped, as every DataFlow heuristic filter does.
- A missing field raises ``KeyError`` and a non-string value ``TypeError``, naming the filter
  and the field: the runtime sends that row to the dead letters.
- nltk tokenisation (``use_tokenizer=True``) is replaced by a regex tokeniser, and nltk's stop
  words by the same list shipped as package data: nothing is downloaded at run time.

Rules that count whitespace-separated words or use English word lists are English-specific, as
in DataFlow; their docstrings say so. Text without spaces between words (Chinese, Japanese) has
few, long "words" under them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from streamflow.actors.base import Filter
from streamflow.operators.fields import text_field
from streamflow.operators.words import tokenize
from streamflow.rows import Row

__all__ = ["Score", "Verdict", "nonblank_lines", "words_of"]

Score = int | float | None
Verdict = bool | tuple[bool, str]


def words_of(text: str, use_tokenizer: bool) -> list[str]:
    """The words of ``text``: DataFlow's nltk tokens when ``use_tokenizer``, else split at
    whitespace."""
    return tokenize(text) if use_tokenizer else text.split()


def nonblank_lines(text: str) -> list[str]:
    """The lines of ``text`` (split at ``\\n`` only) that hold more than whitespace."""
    return [line for line in text.split("\n") if line.strip()]


def _labelled_hook(label_key: str | None) -> Callable[..., list[Verdict]]:
    """A ``process`` hook whose ``output_key`` defaults to ``label_key``."""

    def process(
        self: _RuleFilter,
        rows: list[Row],
        input_key: str,
        output_key: str | None = label_key,
        output_score_key: str | None = None,
    ) -> list[Verdict]:
        return self.filter_rows(rows, input_key, output_key, output_score_key)

    return process


class _RuleFilter(Filter):
    """Runs ``check`` on each row's text; subclasses hold only their rule and ``label_key``.

    Each subclass's ``process`` is made here, so that its ``output_key`` default is the
    subclass's ``label_key`` in the signature itself: the plan, ``streamflow ops show`` and
    direct calls all read the hook's signature, and one class attribute per filter keeps it.
    """

    label_key: ClassVar[str]
    """DataFlow's ``run()`` default ``output_key`` for this filter."""
    label_is_score: ClassVar[bool] = False
    """Whether DataFlow writes the measured value to ``label_key`` (not the 0/1 label)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "label_key" in cls.__dict__:
            hook = _labelled_hook(cls.label_key)
            hook.__qualname__ = f"{cls.__qualname__}.process"
            cls.process = hook

    process = _labelled_hook(None)
    """The hook of a rule filter with no DataFlow counterpart (no ``label_key``): writes no
    label unless ``output_key`` is given."""

    def filter_rows(
        self,
        rows: list[Row],
        input_key: str,
        output_key: str | None,
        output_score_key: str | None,
    ) -> list[Verdict]:
        name = type(self).__name__
        check = self.check
        label_is_score = self.label_is_score
        out: list[Verdict] = []
        for row in rows:
            text = text_field(name, row, input_key)
            score, reason = check(text)
            if not text:
                reason = "empty text"
            if output_key is not None:
                row[output_key] = score if label_is_score else int(reason is None)
            if output_score_key is not None:
                row[output_score_key] = score
            out.append(True if reason is None else (False, reason))
        return out

    def check(self, text: str) -> tuple[Score, str | None]:
        """The measured value and, when the rule rejects ``text``, why; safe on ``""``."""
        raise NotImplementedError
