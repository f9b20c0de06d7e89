"""The base of DataFlow's rule-based (heuristic) text filters, and the contract they share.

Each filter (the ``*_filters`` modules beside this one) keeps DataFlow's name, parameters,
defaults and rule (``dataflow/operators/general_text/filter/``); most rules come from Gopher, C4
and RefinedWeb. Where streamflow differs, the filter's docstring says so. Common to all of them:

- A dropped row records why, with the measured value and the threshold it failed.
- ``output_key``, when bound, receives the measured value the rule compares with its threshold
  (DataFlow writes a 0/1 keep label there, which is always 1 on the rows that survive; the
  measurement is what a user tunes thresholds with). Filters that measure nothing write the
  0/1 label.
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


class _RuleFilter(Filter):
    """Runs ``check`` on each row's text; subclasses hold only their rule."""

    def process(
        self, rows: list[Row], input_key: str, output_key: str | None = None
    ) -> list[Verdict]:
        name = type(self).__name__
        check = self.check
        out: list[Verdict] = []
        for row in rows:
            text = text_field(name, row, input_key)
            score, reason = check(text)
            if output_key is not None:
                row[output_key] = score
            if not text:
                reason = "empty text"
            out.append(True if reason is None else (False, reason))
        return out

    def check(self, text: str) -> tuple[Score, str | None]:
        """The measured value and, when the rule rejects ``text``, why; safe on ``""``."""
        raise NotImplementedError
