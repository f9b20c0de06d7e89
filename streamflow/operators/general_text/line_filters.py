"""Line-shape rules: how a text's lines start and end (Gopher, C4, DataFlow).

Common behaviour: see :mod:`streamflow.operators.general_text._rule_filter`.
"""

from __future__ import annotations

from streamflow.operators.general_text._rule_filter import Score, _RuleFilter, nonblank_lines

__all__ = [
    "ColonEndFilter",
    "LineEndWithEllipsisFilter",
    "LineStartWithBulletpointFilter",
    "LineWithJavascriptFilter",
]

_ELLIPSES = ("...", "…")
_BULLETS = ("•", "‣", "▶", "◀", "◦", "■", "□", "▪", "▫", "–")
_ASCII_PUNCT_AND_SPACE = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\f\v"


class ColonEndFilter(_RuleFilter):
    """Drops text ending with a colon: an unfinished question or list intro (DataFlow).

    Differs from DataFlow: trailing whitespace is ignored and the full-width colon "：" counts.
    It measures nothing: ``output_score_key`` gets the 0/1 keep label too.
    """

    label_key = "colonendfilter_label"

    def check(self, text: str) -> tuple[Score, str | None]:
        if text.rstrip().endswith((":", "：")):
            return 0, "ends with a colon"
        return 1, None


class LineEndWithEllipsisFilter(_RuleFilter):
    """Drops text where ``threshold`` or more of the lines end in an ellipsis (Gopher, DataFlow).

    Truncated snippets ("read more…") mark scraped listings rather than prose.
    """

    label_key = "line_end_with_ellipsis_filter_label"

    def __init__(self, threshold: float = 0.3) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        lines = nonblank_lines(text)
        if not lines:
            return None, "no non-blank lines"
        ratio = sum(line.rstrip().endswith(_ELLIPSES) for line in lines) / len(lines)
        if ratio >= self.threshold:
            return ratio, f"lines ending with an ellipsis {ratio:.3g} >= max {self.threshold}"
        return ratio, None


class LineStartWithBulletpointFilter(_RuleFilter):
    """Drops text where more than ``threshold`` of the lines start with a bullet (Gopher, DataFlow).

    Such pages are menus and lists, not prose. The bullets are DataFlow's: • ‣ ▶ ◀ ◦ ■ □ ▪ ▫ –
    (not "-" or "*").
    """

    label_key = "line_start_with_bullet_point_filter_label"

    def __init__(self, threshold: float = 0.9) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        lines = nonblank_lines(text)
        if not lines:
            return None, "no non-blank lines"
        ratio = sum(line.lstrip().startswith(_BULLETS) for line in lines) / len(lines)
        if ratio > self.threshold:
            return ratio, f"lines starting with a bullet {ratio:.3g} > max {self.threshold}"
        return ratio, None


class LineWithJavascriptFilter(_RuleFilter):
    """Drops text of more than 3 lines with fewer than ``threshold`` lines free of "javascript".

    After C4's rule against "enable JavaScript" notices, applied per document as DataFlow does;
    lines of only punctuation and whitespace do not count. ``output_score_key`` gets the number of
    lines without "javascript".
    """

    label_key = "line_with_javascript_filter_label"

    def __init__(self, threshold: int = 3) -> None:
        self.threshold = threshold

    def check(self, text: str) -> tuple[Score, str | None]:
        lines = [s for s in text.split("\n") if s.strip(_ASCII_PUNCT_AND_SPACE)]
        if not lines:
            return None, "no non-blank lines"
        clean = sum("javascript" not in s.lower() for s in lines)
        if len(lines) > 3 and clean < self.threshold:
            return clean, f"{clean} lines without 'javascript' < min {self.threshold}"
        return clean, None
