"""The base of the web-crawl quality filters (Gopher, C4, FineWeb) and the contract they share.

These are the heuristic filters that turn extracted web text into pre-training data, as
published with Gopher (Rae et al. 2021, appendix A), T5's C4 (Raffel et al. 2020, section 2.2)
and FineWeb (Penedo et al. 2024, section 3.3). Each rule, parameter and default follows the
paper; where the paper leaves something open (how words are split, which lines count, whether a
limit is inclusive), the choice follows the reference implementation named in the class, and
the docstring says so. Common to all of them:

- A dropped row records the rule and the measured value, e.g.
  ``"gopher: mean word length 11.2 > max 10"``; an empty text is dropped as ``"empty text"``.
- ``output_key``, when bound, receives a dict of every measurement the filter makes (its keys
  are listed in each class), for tuning thresholds. When it is not bound, a filter stops at the
  first rule that fails.
- A missing field raises ``KeyError`` and a non-string value ``TypeError``, naming the filter
  and the field: the runtime sends that row to the dead letters.

Words are :func:`~streamflow.operators.web.tokens.web_words`'s (see that module).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from streamflow.actors.base import Filter
from streamflow.operators.fields import text_field
from streamflow.rows import Row

__all__ = ["Measure", "Rules", "Verdict", "above", "below", "duplicates", "nonblank_lines"]

Verdict = bool | tuple[bool, str]
Measure = int | float | None
Rules = Iterator[tuple[str, Measure, str | None]]
"""What a filter's ``_rules`` yields: (measurement name, value, why it fails or None)."""


def nonblank_lines(text: str) -> list[str]:
    """The lines of ``text`` (any line break) that hold more than whitespace."""
    return [line for line in text.splitlines() if line.strip()]


def duplicates(items: Iterable[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters (first occurrences not
    counted): Gopher's duplicate line and paragraph measure."""
    seen: set[str] = set()
    n = chars = 0
    for item in items:
        if item in seen:
            n += 1
            chars += len(item)
        else:
            seen.add(item)
    return n, chars


def _fmt(x: float, limit: float | None = None) -> str:
    """``x`` to 3 significant digits, more where that would print it equal to ``limit``."""
    if isinstance(x, int):
        return str(x)
    for digits in (3, 6, 17):
        s = f"{x:.{digits}g}"
        if limit is None or x == limit or float(s) != limit:
            break
    return s


def above(label: str, value: float, limit: float, inclusive: bool = False) -> str | None:
    """Why ``value`` fails a maximum (reached counts as failing when ``inclusive``), or None."""
    if value > limit or (inclusive and value == limit):
        return f"{_measured(label, value, limit)} {'>=' if inclusive else '>'} max {limit}"
    return None


def below(label: str, value: float, limit: float, inclusive: bool = False) -> str | None:
    """Why ``value`` fails a minimum (reached counts as failing when ``inclusive``), or None."""
    if value < limit or (inclusive and value == limit):
        return f"{_measured(label, value, limit)} {'<=' if inclusive else '<'} min {limit}"
    return None


def _measured(label: str, value: float, limit: float) -> str:
    """The label with the value after it (``mean word length 2.5``), or in place of ``{}``
    (``49 words``)."""
    shown = _fmt(value, limit)
    return label.format(shown) if "{}" in label else f"{label} {shown}"


class _WebFilter(Filter):
    """Runs ``_rules`` on each row's text; the first rule that fails gives the reason."""

    prefix: ClassVar[str] = ""

    def process(
        self, rows: list[Row], input_key: str, output_key: str | None = None
    ) -> list[Verdict]:
        name = self.name
        out: list[Verdict] = []
        for row in rows:
            text = text_field(name, row, input_key)
            measures, reason = self.check(text, full=output_key is not None)
            if output_key is not None:
                row[output_key] = measures
            if not text:
                reason = "empty text"
            elif reason is not None:
                reason = f"{self.prefix}: {reason}"
            out.append(True if reason is None else (False, reason))
        return out

    def check(self, text: str, full: bool = False) -> tuple[dict[str, Measure] | None, str | None]:
        """The measurements (every one when ``full``, else None) and why ``text`` fails, or
        None when it passes. Safe on ``""``."""
        measures: dict[str, Measure] | None = {} if full else None
        reason = None
        for key, value, why in self._rules(text):
            if measures is not None:
                measures[key] = value
            if why is not None and reason is None:
                reason = why
                if measures is None:
                    break
        return measures, reason

    def _rules(self, text: str) -> Rules:
        raise NotImplementedError
