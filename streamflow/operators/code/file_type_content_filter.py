"""CodeFileTypeContentFilter: per-file-type rules from The Stack v2 (Lozhkov et al., 2024,
"StarCoder 2 and The Stack v2", §2 "Filtering"), as DataFlow applies them.

- Data files (Text, JSON, YAML, Web Ontology Language, Graphviz/DOT) of more than 512 lines
  are dropped.
- HTML is kept only with at least 100 characters of visible text making up at least 20% of the
  file (``visible_text_length`` / ``total_code_length``).
- A Text file is kept only when it is documentation a project needs: a name containing
  "requirement", or named readme, notes, todo, description or cmakelists (any extension).
- Every other file type is kept.

The rules read the row's ``filetype`` (linguist name, case-insensitive), ``filename``,
``line_count`` and, for HTML, ``visible_text_length`` and ``total_code_length`` fields.

As in DataFlow, ``input_key`` is accepted and unused (its pipeline passes ``"dataframe"``: the
rules read the whole row); ``input_filetype_key`` (ours) names the file-type field if it is not
``filetype``. A row without ``filename`` or ``line_count`` fails with the field named (DataFlow
fails the whole run).
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamflow.actors.base import Filter
from streamflow.operators.code._base import Verdict
from streamflow.rows import Row

__all__ = ["CodeFileTypeContentFilter"]

MAX_DATA_LINES = 512
MIN_VISIBLE_TEXT = 100
MIN_VISIBLE_FRACTION = 0.2


class CodeFileTypeContentFilter(Filter):
    """Applies The Stack v2's per-file-type rules (see the module); writes the 0/1 keep label
    to ``output_key``."""

    SIZE_CHECK_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"text", "json", "yaml", "web ontology language", "graphviz", "dot"}
    )
    VALID_TEXT_NAMES: ClassVar[frozenset[str]] = frozenset(
        {"readme", "notes", "todo", "description", "cmakelists"}
    )

    optional_inputs: ClassVar[frozenset[str]] = frozenset({"input_key"})

    def process(
        self,
        rows: list[Row],
        input_key: str | None = None,
        output_key: str = "file_type_content_filter_label",
        input_filetype_key: str = "filetype",
    ) -> list[Verdict]:
        verdicts: list[Verdict] = []
        for row in rows:
            why = self.rejects(row, input_filetype_key)
            row[output_key] = int(why is None)
            verdicts.append(True if why is None else (False, why))
        return verdicts

    def rejects(self, row: Row, filetype_key: str = "filetype") -> str | None:
        """Why The Stack v2's rules drop this file, or None."""
        filetype = str(self._field(row, filetype_key)).lower()
        filename = str(self._field(row, "filename"))
        if filetype in self.SIZE_CHECK_TYPES:
            lines = self._number(row, "line_count")
            if lines > MAX_DATA_LINES:
                return f"{filetype} file of {lines:g} lines > {MAX_DATA_LINES}"
        if filetype == "html":
            visible = self._number(row, "visible_text_length", 0)
            total = self._number(row, "total_code_length", 1)
            fraction = visible / max(total, 1)
            if visible < MIN_VISIBLE_TEXT or fraction < MIN_VISIBLE_FRACTION:
                return (
                    f"html with {visible:g} characters of visible text ({fraction:.0%} of the "
                    f"file); needs >= {MIN_VISIBLE_TEXT} and >= {MIN_VISIBLE_FRACTION:.0%}"
                )
        elif filetype == "text":
            lower = filename.lower()
            if "requirement" not in lower and lower.rsplit(".", 1)[0] not in self.VALID_TEXT_NAMES:
                return f"text file {filename!r} is not a readme, notes, todo, requirements ..."
        return None

    def _field(self, row: Row, key: str) -> Any:
        try:
            return row[key]
        except KeyError:
            raise KeyError(f"{type(self).__name__}: row has no field {key!r}") from None

    def _number(self, row: Row, key: str, default: float | None = None) -> float:
        value = row.get(key, default) if default is not None else self._field(row, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{type(self).__name__}: field {key!r} must be a number, got {value!r}")
        return value
