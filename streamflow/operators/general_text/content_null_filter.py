"""Null content: rows whose text is missing, empty or only whitespace (DataFlow)."""

from __future__ import annotations

from streamflow.actors.base import Filter
from streamflow.operators.fields import text_field
from streamflow.operators.general_text._rule_filter import Verdict
from streamflow.rows import Row

__all__ = ["ContentNullFilter"]


class ContentNullFilter(Filter):
    """Drops null, empty and whitespace-only text (DataFlow).

    Unlike the other filters, a ``None`` value is dropped rather than a ``TypeError``: finding
    nulls is this filter's job. ``output_key`` gets the 0/1 keep label under DataFlow's name
    by default (``None`` writes nothing).
    """

    def process(
        self,
        rows: list[Row],
        input_key: str,
        output_key: str | None = "content_null_filter_label",
    ) -> list[Verdict]:
        out: list[Verdict] = []
        for row in rows:
            if row.get(input_key, "") is None:
                keep, reason = False, "null"
            else:
                keep = bool(text_field("ContentNullFilter", row, input_key).strip())
                reason = "" if keep else "empty or whitespace-only text"
            if output_key is not None:
                row[output_key] = int(keep)
            out.append(True if keep else (False, reason))
        return out
